//! Small editing widgets shared by the panels: labelled fields, chip lists, line lists, times of
//! day, and validation messages placed beside the field they concern.
//!
//! Every widget edits a draft value in place and returns whether it changed it; the panel turns
//! a changed draft into a [`super::command::Command`]. Each input is labelled for screen readers
//! (and for the kittest tests, which find widgets by label).

use chrono::{NaiveTime, Timelike as _};
use egui::{Response, RichText, Ui};

use super::theme;
use crate::model::diagnostics::{Diagnostic, Severity};

/// Collects which field of a draft changed this frame, and shows the diagnostics of each field.
#[derive(Debug)]
pub struct Form<'a> {
    diagnostics: &'a [Diagnostic],
    /// The field path of the last widget that changed, for undo merging.
    pub changed: Option<String>,
}

impl<'a> Form<'a> {
    /// A form over these diagnostics.
    pub fn new(diagnostics: &'a [Diagnostic]) -> Self {
        Self {
            diagnostics,
            changed: None,
        }
    }

    /// Notes that `field` changed when `changed` is true; returns `changed`.
    pub fn note(&mut self, field: &str, changed: bool) -> bool {
        if changed {
            self.changed = Some(field.to_owned());
        }
        changed
    }

    /// Shows the diagnostics whose field is exactly `field`.
    pub fn problems_ui(&self, ui: &mut Ui, field: &str) {
        for d in self.diagnostics.iter().filter(|d| d.field == field) {
            diagnostic_ui(ui, d);
        }
    }

    /// Shows the diagnostics whose field is `field` or lies under it (`field.x`, `field[3]`).
    pub fn problems_under_ui(&self, ui: &mut Ui, field: &str) {
        for d in self
            .diagnostics
            .iter()
            .filter(|d| is_under(&d.field, field))
        {
            diagnostic_ui(ui, d);
        }
    }

    /// A labelled single-line text field.
    pub fn text(&mut self, ui: &mut Ui, field: &str, label: &str, value: &mut String) -> bool {
        let changed = ui
            .horizontal(|ui| {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(f32::INFINITY))
                    .labelled_by(l.id)
                    .changed()
            })
            .inner;
        self.problems_ui(ui, field);
        self.note(field, changed)
    }

    /// A labelled multi-line text field.
    pub fn multiline(
        &mut self,
        ui: &mut Ui,
        field: &str,
        label: &str,
        value: &mut String,
        rows: usize,
    ) -> bool {
        let l = ui.label(label);
        let changed = ui
            .add(
                egui::TextEdit::multiline(value)
                    .desired_rows(rows)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .changed();
        self.problems_ui(ui, field);
        self.note(field, changed)
    }

    /// A list of short strings shown as removable chips, with a box to add one.
    pub fn chips(
        &mut self,
        ui: &mut Ui,
        field: &str,
        label: &str,
        items: &mut Vec<String>,
    ) -> bool {
        let changed = chips_ui(ui, label, items);
        self.problems_under_ui(ui, field);
        self.note(field, changed)
    }

    /// A list of lines (greetings, sign-offs…), each editable and removable, with an add button.
    pub fn lines(
        &mut self,
        ui: &mut Ui,
        field: &str,
        label: &str,
        lines: &mut Vec<String>,
    ) -> bool {
        let changed = lines_ui(ui, label, lines);
        self.problems_under_ui(ui, field);
        self.note(field, changed)
    }
}

/// Whether diagnostic field `field` is `parent` or lies under it.
pub fn is_under(field: &str, parent: &str) -> bool {
    field == parent
        || field
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// One diagnostic, coloured by severity, with its position.
pub fn diagnostic_ui(ui: &mut Ui, d: &Diagnostic) {
    let (color, word) = match d.severity {
        Severity::Error => (theme::ERROR, "error"),
        Severity::Warning => (theme::WARNING, "warning"),
    };
    let place = d
        .position
        .map(|(l, c)| format!(" (line {l}, column {c})"))
        .unwrap_or_default();
    ui.label(
        RichText::new(format!("{word}: {}{place}", d.message))
            .color(theme::readable(ui.visuals(), color)),
    );
}

/// The width of the box that adds a chip, in points.
const CHIP_BOX_WIDTH: f32 = 140.0;

/// In a wrapping row, starts a new row when what comes next (`width_pts` wide) would not fit
/// on this one. A wrapping row moves a single widget down by itself, but not a block laid out
/// as one (a framed chip, a slider with its value box) or one sized after the fact.
pub fn end_row_unless_fits(ui: &mut Ui, width_pts: f32) {
    if ui.available_size_before_wrap().x < width_pts {
        ui.end_row();
    }
}

/// A list of short strings as chips with a remove button each, and a box to add one.
pub fn chips_ui(ui: &mut Ui, label: &str, items: &mut Vec<String>) -> bool {
    let mut changed = false;
    let mut remove = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(label);
        for (i, item) in items.iter().enumerate() {
            // A chip is placed whole: when it would not fit on this row, the row ends first.
            let width = chip_width(ui, item);
            end_row_unless_fits(ui, width);
            egui::Frame::new()
                .fill(ui.visuals().faint_bg_color)
                .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
                .corner_radius(8.0)
                .inner_margin(egui::Margin::symmetric(6, 1))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(item.as_str());
                        if ui
                            .small_button("×")
                            .on_hover_text(format!("remove “{item}”"))
                            .clicked()
                        {
                            remove = Some(i);
                        }
                    });
                });
        }
        // The add box too: on a narrow form it starts a row rather than being cut off.
        end_row_unless_fits(ui, CHIP_BOX_WIDTH);
        let id = ui.scope_id().with(label).with("new chip");
        let mut new_item: String = ui.data_mut(|d| d.get_temp(id).unwrap_or_default());
        let response = ui.add(
            egui::TextEdit::singleline(&mut new_item)
                .hint_text(format!("add to {label}…"))
                .desired_width(CHIP_BOX_WIDTH),
        );
        let submitted = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if submitted && !new_item.trim().is_empty() {
            items.push(new_item.trim().to_owned());
            new_item.clear();
            changed = true;
            response.request_focus();
        }
        ui.data_mut(|d| d.insert_temp(id, new_item));
    });
    if let Some(i) = remove {
        items.remove(i);
        changed = true;
    }
    changed
}

/// The width a chip for `item` takes: its text, its remove button and the frame around them.
fn chip_width(ui: &Ui, item: &str) -> f32 {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text = ui.fonts_mut(|f| {
        f.layout_no_wrap(item.to_owned(), font, egui::Color32::PLACEHOLDER)
            .size()
            .x
    });
    let spacing = ui.spacing();
    text + spacing.item_spacing.x * 2.0 + spacing.interact_size.y + 12.0 + 2.0
}

/// A list of lines, each editable with a remove button, and an add button.
pub fn lines_ui(ui: &mut Ui, label: &str, lines: &mut Vec<String>) -> bool {
    let mut changed = false;
    let mut remove = None;
    ui.label(label);
    ui.indent(label, |ui| {
        for (i, line) in lines.iter_mut().enumerate() {
            // The remove button first, from the right, so that the field takes exactly the
            // width left: a row wider than the form would widen every field below it.
            let row = egui::Layout::right_to_left(egui::Align::Center);
            ui.allocate_ui_with_layout(
                egui::vec2(ui.available_width(), ui.spacing().interact_size.y),
                row,
                |ui| {
                    let name = format!("{label} {}", i + 1);
                    if ui
                        .small_button("×")
                        .on_hover_text(format!("remove {name}"))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(line)
                                .hint_text(name)
                                .desired_width(f32::INFINITY),
                        )
                        .changed();
                },
            );
        }
        if ui.small_button(format!("+ add to {label}")).clicked() {
            lines.push(String::new());
            changed = true;
        }
    });
    if let Some(i) = remove {
        lines.remove(i);
        changed = true;
    }
    changed
}

/// A time of day as hour and minute fields.
pub fn time_of_day_ui(ui: &mut Ui, label: &str, time: &mut NaiveTime) -> bool {
    let mut hour = time.hour();
    let mut minute = time.minute();
    let changed = ui
        .horizontal(|ui| {
            let l = ui.label(label);
            let h = ui
                .add(
                    egui::DragValue::new(&mut hour)
                        .range(0..=23)
                        .custom_formatter(|v, _| format!("{v:02}")),
                )
                .labelled_by(l.id);
            ui.label(":");
            let m = ui
                .add(
                    egui::DragValue::new(&mut minute)
                        .range(0..=59)
                        .speed(0.5)
                        .custom_formatter(|v, _| format!("{v:02}")),
                )
                .labelled_by(l.id);
            h.changed() || m.changed()
        })
        .inner;
    if changed && let Some(t) = NaiveTime::from_hms_opt(hour, minute, 0) {
        *time = t;
        return true;
    }
    false
}

/// A labelled integer field with a unit.
pub fn count_ui(
    ui: &mut Ui,
    label: &str,
    value: &mut i64,
    range: std::ops::RangeInclusive<i64>,
    unit: &str,
) -> Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(
            egui::DragValue::new(value)
                .range(range)
                .suffix(unit)
                .speed(0.2),
        )
        .labelled_by(l.id)
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_under_a_parent() {
        assert!(is_under("templates[2].text", "templates"));
        assert!(is_under("templates[2].text", "templates[2]"));
        assert!(is_under("name", "name"));
        assert!(!is_under("templates_x", "templates"));
        assert!(!is_under("templates[12]", "templates[1]"));
    }
}
