//! Layout claims of the studio at the window sizes a presenter uses (1280×720 and 1920×1080),
//! and at the smallest it allows (900×600), checked on the widgets' rectangles: nothing of a
//! form runs under the panel beside it, and no row runs off the window.

#![cfg(feature = "gui")]

mod common;

use common::{settle, show_tab};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use relance::ui::command::Tab;
use relance::ui::files::ScriptedDialogs;
use relance::ui::{StudioApp, StudioOptions};

/// The studio at `size` points, settled.
fn studio_at(size: [f32; 2]) -> Harness<'static, StudioApp> {
    let app = StudioApp::new(StudioOptions::headless(
        Box::new(ScriptedDialogs::default()),
    ));
    let mut harness = Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut StudioApp| app.studio_ui(ui), app);
    settle(&mut harness);
    harness
}

/// The left edge of the live preview, and the right edge of every field of the persona form's
/// topic cards (ids, names and keyword boxes).
fn topic_fields_and_preview(harness: &Harness<'static, StudioApp>) -> (f32, Vec<(String, f32)>) {
    let preview_left = harness.get_by_label("live preview").rect().left();
    let mut fields = Vec::new();
    for label in [
        "name",
        "id",
        "description (fr)",
        "topic 1",
        "remove topic 1",
        "topic id",
        "topic name (fr)",
        "topic name (en)",
        "add to keywords (fr)…",
        "add to keywords (en)…",
    ] {
        for node in harness.query_all_by_label(label) {
            fields.push((label.to_owned(), node.rect().right()));
        }
    }
    (preview_left, fields)
}

#[test]
fn the_topic_cards_stay_clear_of_the_live_preview() {
    for size in [[1280.0, 720.0], [1920.0, 1080.0]] {
        let mut harness = studio_at(size);
        show_tab(&mut harness, Tab::Persona);
        let (preview_left, fields) = topic_fields_and_preview(&harness);
        assert!(fields.len() >= 9, "{size:?}: only {} fields", fields.len());
        // And nothing else of the form: every widget left of the preview ends before it.
        let form_left = harness.get_by_label("identity").rect().left();
        let overflowing: Vec<String> = harness
            .query_all_by(|_| true)
            .filter_map(|n| {
                let r = n.accesskit_node().bounding_box()?;
                let (left, right) = (r.x0 as f32, r.x1 as f32);
                let inside_the_form = n.accesskit_node().label().as_deref() != Some("Resize panel")
                    && left > form_left - 20.0
                    && left < preview_left - 8.0
                    && right - left < preview_left - form_left;
                (inside_the_form && right > preview_left - 8.0)
                    .then(|| format!("{:?} at {left}..{right}", n.accesskit_node().label()))
            })
            .collect();
        assert!(overflowing.is_empty(), "{size:?}: {overflowing:#?}");
        // The form and the preview share the width: neither is squeezed.
        let preview = size[0] - preview_left;
        let form = preview_left - form_left;
        assert!(
            preview >= 0.25 * (preview + form) && form >= preview,
            "{size:?}: form {form}, preview {preview}"
        );
        for (label, right) in fields {
            assert!(
                right + 12.0 <= preview_left,
                "{size:?}: {label} ends at {right}, the preview starts at {preview_left}"
            );
        }
    }
}

/// Every widget of every tab whose left edge is on screen ends on screen: no row runs off the
/// right of the window, at the smallest window the studio allows (900×600) or either size.
#[test]
fn no_tab_runs_off_the_right_of_the_window() {
    for size in [[900.0, 600.0], [1280.0, 720.0], [1920.0, 1080.0]] {
        let mut harness = studio_at(size);
        for tab in Tab::ALL {
            show_tab(&mut harness, tab);
            let placed = harness
                .query_all_by(|_| true)
                .filter(|n| n.accesskit_node().bounding_box().is_some())
                .count();
            assert!(placed > 30, "{size:?} {tab:?}: only {placed} widgets");
            let off: Vec<String> = harness
                .query_all_by(|_| true)
                .filter_map(|n| {
                    let r = n.accesskit_node().bounding_box()?;
                    let on_screen = r.x0 < f64::from(size[0]) && r.y0 < f64::from(size[1]);
                    (on_screen && r.x1 > f64::from(size[0]) + 1.0).then(|| {
                        format!(
                            "{:?} at {:.0}..{:.0}",
                            n.accesskit_node().label(),
                            r.x0,
                            r.x1
                        )
                    })
                })
                .collect();
            assert!(off.is_empty(), "{size:?} {tab:?}: {off:#?}");
        }
    }
}
