//! Diesel table definitions matching both trees in `migrations/` (ids as BIGINT: SQLite stores
//! 64-bit integers either way and PostgreSQL uses BIGINT identity columns).

diesel::table! {
    staff_users (id) {
        id -> BigInt,
        email -> Text,
        role -> Text,
        password_hash -> Text,
        is_suspended -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    relays (id) {
        id -> BigInt,
        title -> Text,
        topic -> Text,
        purpose -> Text,
        language -> Text,
        timezone -> Text,
        state -> Text,
        recipient_choice -> Text,
        cross_group -> Bool,
        max_inbox -> Integer,
        batons_per_round -> Integer,
        max_batons -> Integer,
        asker_anonymous -> Bool,
        show_asker_group -> Bool,
        reminder_after_hours -> Integer,
        reroute_after_hours -> Integer,
        share_output -> Bool,
        seed -> BigInt,
        rounds_started -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        scheduled_at -> Nullable<Timestamp>,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        controller -> Text,
        privacy_contact -> Text,
        privacy_text -> Text,
        retention_days -> Integer,
        retention -> Text,
        erased_at -> Nullable<Timestamp>,
        keywords -> Text,
        org_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    rounds (id) {
        id -> BigInt,
        relay_id -> BigInt,
        position -> Integer,
        name -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        prompt -> Nullable<Text>,
    }
}

diesel::table! {
    groups (id) {
        id -> BigInt,
        relay_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    participants (id) {
        id -> BigInt,
        relay_id -> BigInt,
        group_id -> BigInt,
        name -> Text,
        email -> Text,
        title -> Nullable<Text>,
        organisation -> Nullable<Text>,
        pseudonym -> Text,
        batons -> Integer,
        inbox_count -> Integer,
        received_count -> Integer,
        is_suspended -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credentials (id) {
        id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        staff_user_id -> Nullable<BigInt>,
        participant_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        name -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    questions (id) {
        id -> BigInt,
        relay_id -> BigInt,
        round_id -> Nullable<BigInt>,
        asker_id -> BigInt,
        recipient_id -> BigInt,
        text -> Text,
        status -> Text,
        asked_at -> Timestamp,
        delivered_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
        answered_at -> Nullable<Timestamp>,
        is_starred -> Bool,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        question_id -> BigInt,
        asker_id -> BigInt,
        recipient_id -> BigInt,
        delivered_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        outcome -> Text,
    }
}

diesel::table! {
    answers (id) {
        id -> BigInt,
        question_id -> BigInt,
        author_id -> BigInt,
        text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        relay_id -> BigInt,
        participant_id -> Nullable<BigInt>,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        idempotency_key -> Text,
        relay_id -> Nullable<BigInt>,
        participant_id -> Nullable<BigInt>,
        kind -> Text,
        to_address -> Text,
        params -> Text,
        link_token -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        staff_user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    themes (id) {
        id -> BigInt,
        relay_id -> BigInt,
        label -> Text,
        label_words -> Text,
        is_pinned -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    question_themes (question_id) {
        question_id -> BigInt,
        theme_id -> BigInt,
        is_pinned -> Bool,
        score -> Nullable<Double>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    question_forms (question_id) {
        question_id -> BigInt,
        form -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orgs (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
        require_totp -> Bool,
    }
}

diesel::table! {
    staff_totp (staff_user_id) {
        staff_user_id -> BigInt,
        secret -> Text,
        enabled_at -> Nullable<Timestamp>,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    totp_recovery_codes (id) {
        id -> BigInt,
        staff_user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    focus_lists (relay_id) {
        relay_id -> BigInt,
        inward -> Text,
        outward -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memberships (org_id, user_id) {
        org_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    relay_analysts (relay_id, user_id) {
        relay_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        token_hash -> Text,
        org_id -> BigInt,
        email -> Text,
        role -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        org_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        target_kind -> Nullable<Text>,
        target_id -> Nullable<BigInt>,
        relay_id -> Nullable<BigInt>,
        detail -> Text,
    }
}

diesel::joinable!(memberships -> orgs (org_id));
diesel::joinable!(memberships -> staff_users (user_id));
diesel::joinable!(relay_analysts -> relays (relay_id));
diesel::joinable!(rounds -> relays (relay_id));
diesel::joinable!(question_forms -> questions (question_id));
diesel::joinable!(focus_lists -> relays (relay_id));
diesel::joinable!(password_resets -> staff_users (staff_user_id));
diesel::joinable!(staff_totp -> staff_users (staff_user_id));
diesel::joinable!(totp_recovery_codes -> staff_users (staff_user_id));
diesel::joinable!(question_themes -> themes (theme_id));
diesel::joinable!(question_themes -> questions (question_id));
diesel::joinable!(groups -> relays (relay_id));
diesel::joinable!(participants -> groups (group_id));
diesel::joinable!(participants -> relays (relay_id));
diesel::joinable!(answers -> questions (question_id));
diesel::joinable!(deliveries -> questions (question_id));

diesel::allow_tables_to_appear_in_same_query!(
    staff_users,
    relays,
    rounds,
    groups,
    participants,
    credentials,
    questions,
    deliveries,
    answers,
    events,
    email_outbox,
    password_resets,
    staff_totp,
    totp_recovery_codes,
    themes,
    question_themes,
    question_forms,
    focus_lists,
    orgs,
    memberships,
    relay_analysts,
    invitations,
    audit_log,
);
