//! The extractor of every staff route that names a relay, question, theme or organisation in
//! its path: the caller is staff ([`Staff`]), the path parses as it would for `web::Path`, and
//! [`scope`] allows the caller what the route needs of its target, all before the handler runs.
//!
//! One generic type covers them: `Scoped<On, For, P>` with a marker for the target's kind
//! (`OnRelay`, `OnQuestion`, `OnTheme`, `OnOrg`), a marker for the need (`ForRead`, `ForRun`,
//! `ForAdmin`) and the path's type (`i64`, or `(i64, i64)` for a participant or member of it,
//! whose first id is the target). Handlers name it by its aliases ([`ReadRelay`],
//! [`RunRelay`], …).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::Staff;
use super::scope::{self, Need, Target};
use crate::db::staff::StaffUserRow;
use crate::error::AppError;
use crate::relay::StaffRole;
use crate::state::AppState;

/// What a route's path names: a relay, something of a relay, or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/relays/{id}`
    Relay,
    /// `/questions/{qid}`
    Question,
    /// `/themes/{tid}`
    Theme,
    /// `/orgs/{oid}`
    Org,
}

/// A marker type naming a [`Kind`].
pub trait On {
    /// The kind it names.
    const KIND: Kind;
}

/// A marker type naming a [`Need`].
pub trait For {
    /// The need it names.
    const NEED: Need;
}

/// Marker types: `markers!(Trait::CONST: Type, Name => value, …)`.
macro_rules! markers {
    ($trait:ident :: $const:ident : $ty:ty, $($name:ident => $value:expr),+ $(,)?) => {
        $(
            #[doc = concat!("Marker for `", stringify!($value), "`.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl $trait for $name {
                const $const: $ty = $value;
            }
        )+
    };
}

markers!(On::KIND: Kind, OnRelay => Kind::Relay, OnQuestion => Kind::Question, OnTheme => Kind::Theme, OnOrg => Kind::Org);
markers!(For::NEED: Need, ForRead => Need::Read, ForRun => Need::Run, ForAdmin => Need::Admin);

/// A path whose first id is the route's target.
pub trait PathIds: DeserializeOwned + 'static {
    /// The target's id.
    fn target_id(&self) -> i64;
}

impl PathIds for i64 {
    fn target_id(&self) -> i64 {
        *self
    }
}

impl PathIds for (i64, i64) {
    fn target_id(&self) -> i64 {
        self.0
    }
}

/// A staff caller allowed what `F` needs of the `O` their path names.
#[derive(Debug, Clone)]
pub struct Scoped<O, F, P = i64> {
    /// The caller.
    pub user: StaffUserRow,
    /// The path's ids (the target's first).
    pub path: P,
    /// The caller's role for the target.
    pub role: StaffRole,
    marker: PhantomData<(O, F)>,
}

/// Any staff role that sees the relay `{id}`.
pub type ReadRelay<P = i64> = Scoped<OnRelay, ForRead, P>;
/// A facilitator or admin of the relay `{id}`.
pub type RunRelay<P = i64> = Scoped<OnRelay, ForRun, P>;
/// Any staff role that sees the relay of question `{qid}`.
pub type ReadQuestion = Scoped<OnQuestion, ForRead>;
/// A facilitator or admin of the relay of question `{qid}`.
pub type RunQuestion = Scoped<OnQuestion, ForRun>;
/// Any staff role that sees the relay of theme `{tid}`.
pub type ReadTheme = Scoped<OnTheme, ForRead>;
/// An admin of the organisation `{oid}`.
pub type OrgAdmin<P = i64> = Scoped<OnOrg, ForAdmin, P>;

/// `user`'s role for the `kind` with id `id`, or the 404/403 that answers them.
async fn role(
    state: &AppState,
    user: &StaffUserRow,
    kind: Kind,
    id: i64,
    need: Need,
) -> Result<StaffRole, AppError> {
    let target = match kind {
        Kind::Relay => Target::Relay(id),
        Kind::Question => Target::Question(id),
        Kind::Theme => Target::Theme(id),
        Kind::Org => {
            let uid = user.id;
            return state
                .db
                .read(move |conn| scope::org_role(conn, uid, id, need))
                .await;
        }
    };
    scope::allow(state, user, target, need).await
}

impl<O: On, F: For, P: PathIds> FromRequest for Scoped<O, F, P> {
    // `actix_web::Error`, not `AppError`: a bad path answers through the app's `PathConfig`.
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // In the order the handlers had them: the caller, then the path (a bad id answers
            // as `web::Path` does), then the scope.
            let Staff(user, _) = Staff::from_request(&req, &mut Payload::None).await?;
            let path = web::Path::<P>::extract(&req).await?.into_inner();
            let state = web::Data::<AppState>::extract(&req).await?;
            let role = role(&state, &user, O::KIND, path.target_id(), F::NEED).await?;
            Ok(Scoped {
                user,
                path,
                role,
                marker: PhantomData,
            })
        })
    }
}
