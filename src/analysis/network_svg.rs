//! The themed group network drawn as SVG, with no script or external library, so the page and
//! the printed report show the same picture. Groups sit on a circle; each link is an arrow whose
//! width grows with its questions and whose colour is the theme that carries most of them; its
//! `<title>` (shown on hover, read by screen readers) gives the split by theme. The matrix stays
//! the accessible table beside it; the drawing also has a title and a description.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::fmt::Write as _;

use super::cluster::ThemeId;
use super::network::GroupLink;

/// Okabe & Ito's colour-blind-safe palette (without its yellow and black), then further
/// distinct colours for more themes; they repeat past the end.
const PALETTE: &[&str] = &[
    "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#8C564B", "#17BECF",
    "#BCBD22", "#7B4EA3",
];

/// Links whose questions have no theme.
const NO_THEME_COLOUR: &str = "#8A8A8A";

const WIDTH: f64 = 760.0;
const PLOT_HEIGHT: f64 = 540.0;
/// Radius of the circle the groups sit on.
const RING: f64 = 175.0;
const NODE_RADIUS: f64 = 30.0;
const LEGEND_ROW: f64 = 24.0;
const LEGEND_COLUMNS: usize = 3;

/// Texts and ids of the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSvgOptions {
    /// Accessible title, e.g. "Hvem spørger hvem om hvad".
    pub title: String,
    /// Accessible description put before the generated list of links.
    pub description: String,
    /// Label of questions in no theme, e.g. "uden tema".
    pub no_theme: String,
    /// Word after a count of questions, e.g. "spørgsmål".
    pub questions: String,
    /// Prefix of the element ids, unique per page, so two drawings on one page (a report of two
    /// relays) do not share markers.
    pub id_prefix: String,
}

impl Default for NetworkSvgOptions {
    fn default() -> Self {
        NetworkSvgOptions {
            title: "Who asks whom about what".into(),
            description: "Questions between groups; each arrow is coloured by the theme that \
                          carries most of its questions."
                .into(),
            no_theme: "no theme".into(),
            questions: "questions".into(),
            id_prefix: "network".into(),
        }
    }
}

/// Escapes text for SVG content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and line breaks are not allowed in XML.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters with an ellipsis, so a long group name does not run off the
/// drawing (its full name stays in the node's title).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[derive(Debug, Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
}

impl Point {
    fn towards(self, to: Point, dist: f64) -> Point {
        let (dx, dy) = (to.x - self.x, to.y - self.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        Point {
            x: self.x + dx / len * dist,
            y: self.y + dy / len * dist,
        }
    }
}

/// Renders the network of `groups` (in the order to place them clockwise from the top) and
/// their `links`, coloured by `themes` (`(id, label)` in the order of the legend; colours go by
/// that order). Links between groups not in `groups` are left out. Meant for 2 to 10 groups;
/// more still render, only closer together.
pub fn network_svg(
    groups: &[String],
    links: &[GroupLink],
    themes: &[(ThemeId, String)],
    options: &NetworkSvgOptions,
) -> String {
    let drawing = Drawing::new(groups, links, themes, options);
    let legend = drawing.legend(themes);
    let legend_rows = legend.len().div_ceil(LEGEND_COLUMNS);
    let height = PLOT_HEIGHT + legend_rows as f64 * LEGEND_ROW + 10.0;
    let mut svg = String::new();
    drawing.head(&mut svg, height);
    drawing.markers(&mut svg);
    drawing.links(&mut svg);
    drawing.groups(&mut svg);
    legend_svg(&mut svg, &legend);
    svg.push_str("</svg>\n");
    svg
}

/// What the drawing's parts share: the groups on their ring, the links shown and their colours.
// Writing to a String cannot fail: the `unwrap`s on `write!` below never panic.
struct Drawing<'a> {
    groups: &'a [String],
    index: HashMap<&'a str, usize>,
    shown: Vec<&'a GroupLink>,
    colour_of: HashMap<ThemeId, &'static str>,
    options: &'a NetworkSvgOptions,
    /// The escaped id prefix.
    p: String,
}

impl<'a> Drawing<'a> {
    fn new(
        groups: &'a [String],
        links: &'a [GroupLink],
        themes: &[(ThemeId, String)],
        options: &'a NetworkSvgOptions,
    ) -> Self {
        let colour_of = themes
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (*t, PALETTE[i % PALETTE.len()]))
            .collect();
        let index: HashMap<&str, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let shown = links
            .iter()
            .filter(|l| index.contains_key(l.from.as_str()) && index.contains_key(l.to.as_str()))
            .collect();
        Drawing {
            groups,
            index,
            shown,
            colour_of,
            options,
            p: escape(&options.id_prefix),
        }
    }

    fn colour(&self, t: Option<ThemeId>) -> &'static str {
        t.and_then(|t| self.colour_of.get(&t).copied())
            .unwrap_or(NO_THEME_COLOUR)
    }

    /// Two groups face each other left and right; more go clockwise from the top.
    fn angle(&self, i: usize) -> f64 {
        let n = self.groups.len().max(1);
        let start = if n == 2 { PI } else { -PI / 2.0 };
        start + 2.0 * PI * i as f64 / n as f64
    }

    fn pos(&self, i: usize) -> Point {
        let centre = centre();
        Point {
            x: centre.x + RING * self.angle(i).cos(),
            y: centre.y + RING * self.angle(i).sin(),
        }
    }

    /// The themes some link is coloured by, and "no theme" if a link has none.
    fn legend(&self, themes: &'a [(ThemeId, String)]) -> Vec<(&'static str, &'a str)> {
        let mut legend: Vec<(&str, &str)> = themes
            .iter()
            .filter(|(t, _)| self.shown.iter().any(|l| l.theme_id == Some(*t)))
            .map(|(t, label)| (self.colour(Some(*t)), label.as_str()))
            .collect();
        if self.shown.iter().any(|l| l.theme_id.is_none()) {
            legend.push((NO_THEME_COLOUR, self.options.no_theme.as_str()));
        }
        legend
    }

    /// The opening tag, the accessible title and the description listing every link.
    fn head(&self, w: &mut String, height: f64) {
        let (p, options) = (&self.p, self.options);
        writeln!(
            w,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{p}-title {p}-desc" font-family="sans-serif" font-size="13">"#
        )
        .unwrap();
        writeln!(
            w,
            r#"<title id="{p}-title">{}</title>"#,
            escape(&options.title)
        )
        .unwrap();
        let mut desc = options.description.clone();
        for l in &self.shown {
            let main = l.theme_label.as_deref().unwrap_or(&options.no_theme);
            write!(
                desc,
                " {} → {}: {} {} ({main}).",
                l.from, l.to, l.count, options.questions
            )
            .unwrap();
        }
        writeln!(w, r#"<desc id="{p}-desc">{}</desc>"#, escape(&desc)).unwrap();
    }

    /// One arrowhead per colour in use; a fixed size, whatever the line's width.
    fn markers(&self, w: &mut String) {
        let p = &self.p;
        let mut colours: Vec<&str> = self.shown.iter().map(|l| self.colour(l.theme_id)).collect();
        colours.sort_unstable();
        colours.dedup();
        writeln!(w, "<defs>").unwrap();
        for c in &colours {
            writeln!(
                w,
                r#"<marker id="{p}-arrow-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="14" markerHeight="14" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>"#,
                &c[1..]
            )
            .unwrap();
        }
        writeln!(w, "</defs>").unwrap();
    }

    /// Each link as an arrow as wide as its share of the busiest link, with its count on it and
    /// its split by theme in its title.
    fn links(&self, w: &mut String) {
        let (p, options) = (&self.p, self.options);
        let max = self.shown.iter().map(|l| l.count).max().unwrap_or(1).max(1) as f64;
        writeln!(w, r#"<g class="links" fill="none">"#).unwrap();
        for l in &self.shown {
            let (a, b) = (self.index[l.from.as_str()], self.index[l.to.as_str()]);
            let c = self.colour(l.theme_id);
            let width = 1.5 + 8.0 * l.count as f64 / max;
            let (d, label_at) = if a == b {
                loop_path(centre(), self.pos(a))
            } else {
                arc_path(self.pos(a), self.pos(b))
            };
            let mut hover = format!("{} → {}: {} {}", l.from, l.to, l.count, options.questions);
            for (i, s) in l.split.iter().enumerate() {
                let label = s.theme_label.as_deref().unwrap_or(&options.no_theme);
                hover.push_str(if i == 0 { " — " } else { ", " });
                write!(hover, "{label} {}", s.count).unwrap();
            }
            writeln!(
                w,
                r##"<g class="link"><title>{}</title><path d="{d}" stroke="{c}" stroke-width="{width:.1}" stroke-opacity="0.85" marker-end="url(#{p}-arrow-{})"/><text x="{:.1}" y="{:.1}" text-anchor="middle" dominant-baseline="central" fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text></g>"##,
                escape(&hover),
                &c[1..],
                label_at.x,
                label_at.y,
                l.count
            )
            .unwrap();
        }
        writeln!(w, "</g>").unwrap();
    }

    /// The group nodes with their names set outward from the ring.
    fn groups(&self, w: &mut String) {
        writeln!(w, r#"<g class="groups">"#).unwrap();
        for (i, g) in self.groups.iter().enumerate() {
            let at = self.pos(i);
            let (cos, sin) = (self.angle(i).cos(), self.angle(i).sin());
            let anchor = if cos > 0.3 {
                "start"
            } else if cos < -0.3 {
                "end"
            } else {
                "middle"
            };
            let label = Point {
                x: at.x + (NODE_RADIUS + 10.0) * cos,
                y: at.y + (NODE_RADIUS + 14.0) * sin,
            };
            writeln!(
                w,
                r##"<g class="group"><title>{}</title><circle cx="{:.1}" cy="{:.1}" r="{NODE_RADIUS}" fill="#F4F4F4" stroke="#444" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" text-anchor="{anchor}" dominant-baseline="central" font-weight="bold" fill="#222">{}</text></g>"##,
                escape(g),
                at.x,
                at.y,
                label.x,
                label.y,
                escape(&shorten(g, 28))
            )
            .unwrap();
        }
        writeln!(w, "</g>").unwrap();
    }
}

/// The middle of the plot, which the ring of groups goes round.
fn centre() -> Point {
    Point {
        x: WIDTH / 2.0,
        y: PLOT_HEIGHT / 2.0,
    }
}

/// The legend under the plot, in rows of [`LEGEND_COLUMNS`].
fn legend_svg(w: &mut String, legend: &[(&str, &str)]) {
    writeln!(w, r#"<g class="legend">"#).unwrap();
    let column = WIDTH / LEGEND_COLUMNS as f64;
    for (i, (c, label)) in legend.iter().enumerate() {
        let x = 20.0 + (i % LEGEND_COLUMNS) as f64 * column;
        let y = PLOT_HEIGHT + (i / LEGEND_COLUMNS) as f64 * LEGEND_ROW;
        writeln!(
            w,
            r##"<rect x="{x:.1}" y="{:.1}" width="18" height="6" fill="{c}"/><text x="{:.1}" y="{y:.1}" dominant-baseline="central" fill="#222">{}</text>"##,
            y - 3.0,
            x + 26.0,
            escape(&shorten(label, 30))
        )
        .unwrap();
    }
    writeln!(w, "</g>").unwrap();
}

/// A curved arrow from group `a` to group `b`, bent to its left so the arrows of a pair of
/// groups never overlap; returns the path and where to put its count.
fn arc_path(a: Point, b: Point) -> (String, Point) {
    let mid = Point {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let bend = 0.18;
    let control = Point {
        x: mid.x + dy * bend,
        y: mid.y - dx * bend,
    };
    let start = a.towards(control, NODE_RADIUS + 2.0);
    let end = b.towards(control, NODE_RADIUS + 3.0);
    let label = Point {
        x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x,
        y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y,
    };
    (
        format!(
            "M{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}",
            start.x, start.y, control.x, control.y, end.x, end.y
        ),
        label,
    )
}

/// A loop beside group node `at` for questions within the group: turned 40° from the line out
/// of the centre, so it clears the group's name, which sits straight out.
fn loop_path(centre: Point, at: Point) -> (String, Point) {
    let (dx, dy) = (at.x - centre.x, at.y - centre.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = if len < 1e-9 {
        (0.0, -1.0)
    } else {
        (dx / len, dy / len)
    };
    let turn = 40f64.to_radians();
    let out = (
        ux * turn.cos() - uy * turn.sin(),
        ux * turn.sin() + uy * turn.cos(),
    );
    let side = (-out.1, out.0);
    let point = |along: f64, across: f64| Point {
        x: at.x + NODE_RADIUS * (out.0 * along + side.0 * across),
        y: at.y + NODE_RADIUS * (out.1 * along + side.1 * across),
    };
    let (start, end) = (point(0.8, -0.6), point(0.8, 0.6));
    let (c1, c2) = (point(2.6, -1.3), point(2.6, 1.3));
    let label = point(2.3, 0.0);
    (
        format!(
            "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            start.x, start.y, c1.x, c1.y, c2.x, c2.y, end.x, end.y
        ),
        label,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::network::ThemeCount;
    use proptest::prelude::*;

    fn link(from: &str, to: &str, count: u32, theme: Option<(ThemeId, &str)>) -> GroupLink {
        GroupLink {
            from: from.into(),
            to: to.into(),
            count,
            theme_id: theme.map(|t| t.0),
            theme_label: theme.map(|t| t.1.to_string()),
            split: vec![ThemeCount {
                theme_id: theme.map(|t| t.0),
                theme_label: theme.map(|t| t.1.to_string()),
                count,
            }],
        }
    }

    /// Checks that tags nest and close, and that no raw `<` or `&` hides in text or attributes:
    /// a small well-formedness check for the only SVG this module writes.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            assert!(!text.contains('>'), "stray > in {text:?}");
            check_entities(text);
            let close = rest[open..].find('>').expect("tag closes") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "nested < in tag {tag:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("tag name");
                stack.push(name.to_owned());
            }
            let quotes = tag.matches('"').count();
            assert_eq!(quotes % 2, 0, "unbalanced quotes in {tag:?}");
            check_entities(tag);
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert!(rest.trim().is_empty());
    }

    fn check_entities(s: &str) {
        for (i, _) in s.match_indices('&') {
            let entity = &s[i..s[i..].find(';').map_or(s.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
                "bad entity {entity:?}"
            );
        }
    }

    fn themes() -> Vec<(ThemeId, String)> {
        vec![
            (1, "Borgere & værdi".to_string()),
            (2, "Styring".to_string()),
            (3, "Ubrugt".to_string()),
        ]
    }

    #[test]
    fn draws_groups_links_title_and_legend() {
        let groups = vec!["Kommune".to_string(), "Stat <topledere>".to_string()];
        let links = vec![
            link(
                "Kommune",
                "Stat <topledere>",
                12,
                Some((1, "Borgere & værdi")),
            ),
            link("Stat <topledere>", "Kommune", 3, Some((2, "Styring"))),
            link("Kommune", "Kommune", 2, None),
            link("Kommune", "Region", 5, Some((2, "Styring"))),
        ];
        let svg = network_svg(&groups, &links, &themes(), &NetworkSvgOptions::default());
        assert_well_formed(&svg);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(r#"role="img" aria-labelledby="network-title network-desc""#));
        assert!(svg.contains("<title id=\"network-title\">Who asks whom about what</title>"));
        // Labels are escaped wherever they appear.
        assert!(svg.contains("Stat &lt;topledere&gt;"));
        assert!(svg.contains("Borgere &amp; værdi"));
        assert!(!svg.contains("<topledere>"));
        // Three links drawn (the one to a group not shown is left out), each with its hover
        // text and its theme's colour.
        assert_eq!(svg.matches(r#"<g class="link">"#).count(), 3);
        assert!(svg.contains(
            "<title>Kommune → Stat &lt;topledere&gt;: 12 questions — Borgere &amp; værdi 12</title>"
        ));
        assert!(svg.contains(&format!("stroke=\"{}\"", PALETTE[0])));
        assert!(svg.contains(&format!("stroke=\"{}\"", PALETTE[1])));
        assert!(svg.contains(&format!("stroke=\"{NO_THEME_COLOUR}\"")));
        // The legend names the themes in use and "no theme", not the unused one.
        assert!(svg.contains(">Styring</text>"));
        assert!(svg.contains(">no theme</text>"));
        assert!(!svg.contains("Ubrugt"));
        // The widest line is the busiest link.
        assert!(svg.contains(r#"stroke-width="9.5""#));
    }

    #[test]
    fn ids_are_prefixed_so_two_drawings_can_share_a_page() {
        let groups = vec!["A".to_string(), "B".to_string()];
        let links = vec![link("A", "B", 1, Some((2, "Styring")))];
        let options = NetworkSvgOptions {
            id_prefix: "relay-7".into(),
            ..NetworkSvgOptions::default()
        };
        let svg = network_svg(&groups, &links, &themes(), &options);
        assert!(svg.contains(r#"id="relay-7-title""#));
        assert!(svg.contains(&format!("url(#relay-7-arrow-{})", &PALETTE[1][1..])));
        assert!(!svg.contains("network-"));
    }

    #[test]
    fn ten_groups_stay_inside_the_drawing() {
        let groups: Vec<String> = (0..10).map(|i| format!("Gruppe {i}")).collect();
        let mut links = Vec::new();
        for a in &groups {
            for b in &groups {
                links.push(link(a, b, 1, Some((1, "Borgere & værdi"))));
            }
        }
        let svg = network_svg(&groups, &links, &themes(), &NetworkSvgOptions::default());
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"<g class="link">"#).count(), 100);
        assert_eq!(svg.matches(r#"<g class="group">"#).count(), 10);
        // Every coordinate lies within the view box.
        for cap in svg.split(['"', ' ', ',', 'M', 'Q', 'C']) {
            if let Ok(v) = cap.parse::<f64>() {
                assert!((-1.0..=WIDTH + 1.0).contains(&v), "{v} out of the drawing");
            }
        }
    }

    #[test]
    fn empty_network_is_still_a_drawing() {
        let svg = network_svg(&[], &[], &[], &NetworkSvgOptions::default());
        assert_well_formed(&svg);
        assert!(svg.contains("<desc"));
    }

    proptest! {
        #[test]
        fn any_labels_are_escaped(
            names in prop::collection::vec(any::<String>(), 1..6),
            label in any::<String>(),
        ) {
            let mut groups = names.clone();
            groups.sort();
            groups.dedup();
            let links: Vec<GroupLink> = groups
                .iter()
                .zip(groups.iter().rev())
                .map(|(a, b)| link(a, b, 2, Some((1, &label))))
                .collect();
            let themes = vec![(1, label.clone())];
            let options = NetworkSvgOptions { title: label.clone(), ..NetworkSvgOptions::default() };
            let svg = network_svg(&groups, &links, &themes, &options);
            assert_well_formed(&svg);
            prop_assert_eq!(svg.matches(r#"<g class="link">"#).count(), links.len());
        }
    }
}
