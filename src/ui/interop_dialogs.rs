//! The studio's doors to other tools: File ▸ Import… (a character card or a Relance persona),
//! File ▸ Export… (RON, JSON, Character Card V2/V3, PNG card with an avatar), File ▸ Export
//! report… (HTML, CSV, JSON), Scenario ▸ Import chat… (WhatsApp, SillyTavern) and Scenario ▸
//! Export timeline as PNG….
//!
//! Every file goes through [`crate::interop`] and [`crate::report::document`], as on the command
//! line; file dialogs go through [`FileDialogs`] so that tests answer them. The small forms here
//! keep their fields while open and push a [`Command`] when confirmed.
//!
//! An imported persona is saved at once (the save dialog suggests the personas folder): a PNG card
//! brings two files, the persona and its avatar image, and saving them side by side is what puts
//! the persona in the library with its picture. An imported chat replaces the scenario in memory,
//! unsaved, as an opened file would (the form warns when that drops unsaved scenario edits).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use chrono_tz::Tz;
use egui::{RichText, Ui};

use super::command::{ChatRequest, Command, ExportForm};
use super::error_report::{ErrorReport, error_report};
use super::files::{DialogKind, FileDialogs, file_stem_of};
use super::simulation::SimOutput;
use super::theme;
use crate::interop::chat::{
    ChatFormat, ChatImport, ChatImportOptions, LineProblem, ParsedChat, Skipped, import_chat,
};
use crate::interop::{PersonaFormat, export_persona_to, import_persona, save_imported};
use crate::model::diagnostics::write_atomically;
use crate::model::{Persona, Scenario};
use crate::report::document::{ReportFormat, ReportInput, write_report};

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn with_extension(mut path: PathBuf, extension: &str) -> PathBuf {
    if path.extension().is_none() {
        path.set_extension(extension);
    }
    path
}

// ---- persona import and export --------------------------------------------------------------

/// File ▸ Import…: asks for a card or persona file, then where to save it as RON (in `dir` by
/// default). Returns the saved persona file to open and a status line, `None` when a dialog
/// was cancelled.
pub fn import_persona_flow(
    dialogs: &mut dyn FileDialogs,
    dir: &Path,
) -> Result<Option<(PathBuf, String)>, ErrorReport> {
    let Some(file) = dialogs.pick_open(DialogKind::Import, Some(dir)) else {
        return Ok(None);
    };
    let imported = import_persona(&file)
        .map_err(|e| error_report(format!("cannot import {}", file.display()), &e))?;
    let suggested = format!("{}.ron", imported.persona.id);
    let Some(out) = dialogs.pick_save(DialogKind::Persona, Some(dir), &suggested) else {
        return Ok(None);
    };
    let out = with_extension(out, "ron");
    let persona = save_imported(&imported, &out)
        .map_err(|e| error_report(format!("cannot save the import as {}", out.display()), &e))?;
    let mut status = format!(
        "imported {} ({}) as {}",
        file_name(&file),
        imported.source,
        out.display()
    );
    if let Some(avatar) = &persona.avatar {
        status.push_str(&format!(", avatar {avatar}"));
    }
    if !imported.notes.is_empty() {
        status.push_str(&format!(" · to review: {}", imported.notes.join("; ")));
    }
    Ok(Some((out, status)))
}

/// Exports `persona` (saved at `persona_file`, if anywhere) after asking where. Returns a status
/// line, `None` when the dialog was cancelled.
pub fn export_persona_flow(
    dialogs: &mut dyn FileDialogs,
    persona: &Persona,
    persona_file: Option<&Path>,
    dir: &Path,
    form: &ExportForm,
) -> Result<Option<String>, ErrorReport> {
    let extension = form.format.extension();
    let suggested = match form.format {
        PersonaFormat::CardV2 => format!("{}.ccv2.json", persona.id),
        PersonaFormat::CardV3 => format!("{}.ccv3.json", persona.id),
        _ => format!("{}.{extension}", persona.id),
    };
    let kind = DialogKind::Export {
        label: form.format.label(),
        extension,
    };
    let Some(out) = dialogs.pick_save(kind, Some(dir), &suggested) else {
        return Ok(None);
    };
    let out = with_extension(out, extension);
    export_persona_to(
        persona,
        persona_file,
        form.format,
        form.avatar.as_deref(),
        &out,
    )
    .map_err(|e| error_report(format!("cannot export to {}", out.display()), &e))?;
    Ok(Some(format!(
        "exported {} as {} to {}",
        persona.name,
        form.format.label(),
        out.display()
    )))
}

// ---- reports --------------------------------------------------------------------------------

/// Writes the report of the replay the studio shows after asking where. Returns a status line,
/// `None` when the dialog was cancelled.
pub fn export_report_flow(
    dialogs: &mut dyn FileDialogs,
    shown: Option<&SimOutput>,
    persona_file: Option<&Path>,
    dir: &Path,
    format: ReportFormat,
) -> Result<Option<String>, ErrorReport> {
    let Some(shown) = shown else {
        return Err(ErrorReport {
            title: "cannot export the report".to_owned(),
            lines: vec!["the replay is not ready yet: try again in a moment".to_owned()],
        });
    };
    let persona = &shown.persona;
    let extension = format.name();
    let kind = DialogKind::Export {
        label: report_label(format),
        extension,
    };
    let suggested = format!("{}-report.{extension}", persona.id);
    let Some(out) = dialogs.pick_save(kind, Some(dir), &suggested) else {
        return Ok(None);
    };
    let out = with_extension(out, extension);
    // A missing or unreadable avatar only leaves the picture out of the report.
    let avatar = persona_file
        .and_then(|file| crate::interop::load_avatar(persona, file).ok())
        .flatten();
    let input = ReportInput {
        persona,
        avatar_png: avatar.as_deref(),
        scenario: &shown.scenario,
        replay: &shown.replay,
        population: None,
    };
    write_report(&input, format, &out)
        .map_err(|e| error_report(format!("cannot write {}", out.display()), &e))?;
    Ok(Some(format!(
        "wrote the {} to {}",
        report_label(format),
        out.display()
    )))
}

/// "HTML report"…
pub fn report_label(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Html => "HTML report",
        ReportFormat::Csv => "CSV of the decisions",
        ReportFormat::Json => "JSON of the replay",
    }
}

// ---- chat import ----------------------------------------------------------------------------

/// The choices of Scenario ▸ Import chat…, with what a first reading of the file found.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatForm {
    /// The chat file.
    pub path: PathBuf,
    /// Its format.
    pub format: ChatFormat,
    /// Its participants, in order of first message.
    pub participants: Vec<String>,
    /// How many messages were read.
    pub messages: usize,
    /// The participant who is the user (index in `participants`).
    pub user: usize,
    /// The participant who is the bot.
    pub bot: usize,
    /// The IANA time zone typed.
    pub timezone: String,
    /// Replace names, e-mail addresses and phone numbers.
    pub pseudonymise: bool,
    /// Import without the malformed lines (each is listed).
    pub skip_malformed: bool,
    /// Lines that could not be read.
    pub problems: Vec<LineProblem>,
    /// Lines left out on purpose (system lines).
    pub skipped: Vec<Skipped>,
    /// What the reader noticed.
    pub notes: Vec<String>,
    /// The unsaved scenario the import would replace, if any.
    pub replaces_unsaved: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

fn parse_chat(text: &str, path: &Path, tz: Tz) -> (ChatFormat, ParsedChat) {
    let format = ChatFormat::detect(path, text);
    let parsed = match format {
        ChatFormat::Whatsapp => crate::interop::whatsapp::parse(text, tz, None),
        ChatFormat::SillyTavern => crate::interop::sillytavern::parse(text, tz),
    };
    (format, parsed)
}

impl ChatForm {
    /// Reads `path` once to list its participants and problems. `timezone` is the zone offered
    /// first; `bot_name` (the persona's) preselects a participant of that name as the bot.
    pub fn read(path: &Path, timezone: &str, bot_name: &str) -> Result<Self, ErrorReport> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| error_report(format!("cannot read {}", path.display()), &e))?;
        let tz: Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
        let (format, parsed) = parse_chat(&text, path, tz);
        let participants: Vec<String> = parsed
            .participants()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if participants.is_empty() {
            let mut lines = vec![format!(
                "{}: no message could be read as a {}",
                path.display(),
                format.label()
            )];
            lines.extend(
                parsed
                    .problems
                    .iter()
                    .map(|p| format!("{}:{}: {}", path.display(), p.line, p.message)),
            );
            return Err(ErrorReport {
                title: format!("cannot import {}", path.display()),
                lines,
            });
        }
        let find = |name: Option<&str>| {
            name.and_then(|n| {
                participants
                    .iter()
                    .position(|p| p.trim().eq_ignore_ascii_case(n.trim()))
            })
        };
        let bot = find(parsed.bot_name.as_deref())
            .or_else(|| find(Some(bot_name)))
            .or_else(|| {
                parsed.messages.iter().find_map(|m| {
                    (m.is_user == Some(false))
                        .then(|| participants.iter().position(|p| *p == m.sender))
                        .flatten()
                })
            })
            .unwrap_or(participants.len().min(2) - 1);
        let user = find(parsed.user_name.as_deref())
            .filter(|u| *u != bot)
            .or_else(|| (0..participants.len()).find(|i| *i != bot))
            .unwrap_or(0);
        Ok(Self {
            path: path.to_owned(),
            format,
            messages: parsed.messages.len(),
            participants,
            user,
            bot,
            timezone: timezone.to_owned(),
            pseudonymise: false,
            skip_malformed: false,
            problems: parsed.problems,
            skipped: parsed.skipped,
            notes: parsed.notes,
            replaces_unsaved: None,
            error: None,
        })
    }

    /// The time zone typed, or why it is not one.
    pub fn timezone(&self) -> Result<Tz, String> {
        let typed = self.timezone.trim();
        typed.parse().map_err(|_| {
            format!(
                "unknown time zone `{typed}`: use an IANA name such as Europe/Paris or \
                 America/New_York"
            )
        })
    }

    /// The import to run, or why it cannot run yet.
    pub fn request(&self) -> Result<ChatRequest, String> {
        let timezone = self.timezone()?;
        if self.user == self.bot {
            return Err("the user and the bot must be two different participants".to_owned());
        }
        if !self.problems.is_empty() && !self.skip_malformed {
            return Err(format!(
                "{} malformed line{}: tick “skip the malformed lines” to import the rest",
                self.problems.len(),
                if self.problems.len() == 1 { "" } else { "s" }
            ));
        }
        let name = |i: usize| self.participants.get(i).map(String::as_str);
        let mut options = ChatImportOptions::new(name(self.user), name(self.bot), timezone);
        options.pseudonymise = self.pseudonymise;
        options.skip_malformed = self.skip_malformed;
        Ok(ChatRequest {
            path: self.path.clone(),
            options,
        })
    }
}

/// Runs a confirmed chat import.
pub fn import_chat_request(request: &ChatRequest) -> Result<ChatImport, String> {
    import_chat(&request.path, &request.options).map_err(|e| e.to_string())
}

/// The status line after a chat import: what came in and which lines were left out.
pub fn chat_status(request: &ChatRequest, imported: &ChatImport) -> String {
    let events: usize = imported.scenario.users.iter().map(|u| u.events.len()).sum();
    let mut status = format!(
        "imported {} ({}): {events} messages, unsaved",
        file_name(&request.path),
        imported.format.label()
    );
    if !imported.skipped.is_empty() {
        let lines: Vec<String> = imported
            .skipped
            .iter()
            .map(|s| format!("{} ({})", s.line, s.why))
            .collect();
        status.push_str(&format!(
            "; {} line{} left out: {}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        ));
    }
    status
}

// ---- timeline as PNG ------------------------------------------------------------------------

/// A screenshot on its way, to be cut to the timeline and written as PNG.
#[derive(Debug)]
pub struct ScreenshotJob {
    /// Where to write the PNG.
    pub path: PathBuf,
    rx: Receiver<Arc<egui::ColorImage>>,
}

impl ScreenshotJob {
    /// Asks the window for a screenshot of the next frame.
    pub fn request(ctx: &egui::Context, path: PathBuf) -> Self {
        let (tx, rx) = channel();
        let wake = ctx.clone();
        ctx.request_screenshot(move |image| {
            // The studio may have closed meanwhile: nothing waits for the image then.
            let _ = tx.send(image);
            wake.request_repaint();
        });
        Self { path, rx }
    }

    /// The result once the screenshot arrived: the part under `rect` (points) written as PNG.
    /// `None` while waiting.
    pub fn poll(
        &self,
        rect: Option<egui::Rect>,
        pixels_per_point: f32,
    ) -> Option<Result<String, ErrorReport>> {
        let image = match self.rx.try_recv() {
            Ok(image) => image,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                return Some(Err(ErrorReport {
                    title: format!("cannot export {}", self.path.display()),
                    lines: vec!["the window gave no screenshot".to_owned()],
                }));
            }
        };
        Some(self.write(&image, rect, pixels_per_point))
    }

    fn write(
        &self,
        image: &egui::ColorImage,
        rect: Option<egui::Rect>,
        pixels_per_point: f32,
    ) -> Result<String, ErrorReport> {
        let fail = |message: String| ErrorReport {
            title: format!("cannot export {}", self.path.display()),
            lines: vec![message],
        };
        let rect = rect.ok_or_else(|| fail("the timeline is not on screen".to_owned()))?;
        let cut = super::avatar::crop(image, rect, pixels_per_point)
            .ok_or_else(|| fail("the timeline is outside the window".to_owned()))?;
        let bytes = super::avatar::encode_png(&cut).map_err(fail)?;
        write_atomically(&self.path, &bytes)
            .map_err(|e| error_report(format!("cannot write {}", self.path.display()), &e))?;
        Ok(format!(
            "wrote the timeline ({}×{} pixels) to {}",
            cut.size[0],
            cut.size[1],
            self.path.display()
        ))
    }
}

/// Where to save the timeline PNG (the dialog suggests `<scenario>.png`).
pub fn pick_timeline_png(
    dialogs: &mut dyn FileDialogs,
    dir: &Path,
    scenario: &Scenario,
) -> Option<PathBuf> {
    let suggested = format!("{}-timeline.png", file_stem_of(&scenario.name));
    let kind = DialogKind::Export {
        label: "PNG image",
        extension: "png",
    };
    dialogs
        .pick_save(kind, Some(dir), &suggested)
        .map(|p| with_extension(p, "png"))
}

// ---- the forms ------------------------------------------------------------------------------

/// A form open over the studio.
#[derive(Clone, Debug, PartialEq)]
pub enum InteropDialog {
    /// File ▸ Export….
    ExportPersona(ExportForm),
    /// File ▸ Export report….
    ExportReport(ReportFormat),
    /// Scenario ▸ Import chat….
    ImportChat(Box<ChatForm>),
}

/// Shows `dialog` as a modal; its buttons push commands.
pub fn interop_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut InteropDialog,
    commands: &mut Vec<Command>,
) {
    let modal = egui::Modal::new(egui::Id::unique("interop dialog")).show(ctx, |ui| {
        ui.set_max_width(620.0);
        match dialog {
            InteropDialog::ExportPersona(form) => export_form_ui(ui, form, commands),
            InteropDialog::ExportReport(format) => report_form_ui(ui, format, commands),
            InteropDialog::ImportChat(form) => chat_form_ui(ui, form, commands),
        }
    });
    if modal.should_close() {
        commands.push(Command::CloseInteropDialog);
    }
}

fn buttons_ui(ui: &mut Ui, ok: &str, enabled: bool, commands: &mut Vec<Command>) -> bool {
    ui.add_space(8.0);
    let mut clicked = false;
    ui.horizontal(|ui| {
        clicked = ui.add_enabled(enabled, egui::Button::new(ok)).clicked();
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseInteropDialog);
        }
    });
    clicked
}

fn export_form_ui(ui: &mut Ui, form: &mut ExportForm, commands: &mut Vec<Command>) {
    ui.heading("export persona");
    for format in PersonaFormat::ALL {
        ui.radio_value(&mut form.format, format, format.label());
    }
    if form.format == PersonaFormat::CardPng {
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.label("card image");
            match &form.avatar {
                Some(path) => ui.monospace(path.display().to_string()),
                None => {
                    ui.label(RichText::new("the persona's avatar, else a plain placeholder").weak())
                }
            };
        });
        ui.horizontal(|ui| {
            if ui.button("Choose image…").clicked() {
                commands.push(Command::PickExportAvatar);
            }
            if form.avatar.is_some() && ui.button("Use the persona's avatar").clicked() {
                form.avatar = None;
            }
        });
    }
    if buttons_ui(ui, "Export…", true, commands) {
        commands.push(Command::ExportPersona(form.clone()));
    }
}

fn report_form_ui(ui: &mut Ui, format: &mut ReportFormat, commands: &mut Vec<Command>) {
    ui.heading("export report");
    ui.label("The scenario is replayed with the persona's policy, as `relance report` does.");
    for f in ReportFormat::ALL {
        ui.radio_value(format, f, report_label(f));
    }
    if buttons_ui(ui, "Export report…", true, commands) {
        commands.push(Command::ExportReport(*format));
    }
}

fn chat_form_ui(ui: &mut Ui, form: &mut ChatForm, commands: &mut Vec<Command>) {
    ui.heading("import chat");
    ui.label(format!(
        "{} · {} · {} messages read",
        file_name(&form.path),
        form.format.label(),
        form.messages
    ));
    ui.add_space(6.0);
    ui.label(RichText::new("the user").strong());
    ui.horizontal_wrapped(|ui| {
        for (i, name) in form.participants.iter().enumerate() {
            ui.radio_value(&mut form.user, i, name);
        }
    });
    ui.label(RichText::new("the bot").strong());
    ui.horizontal_wrapped(|ui| {
        for (i, name) in form.participants.iter().enumerate() {
            ui.radio_value(&mut form.bot, i, name);
        }
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let label = ui.label("time zone");
        ui.add(
            egui::TextEdit::singleline(&mut form.timezone)
                .hint_text("Europe/Paris")
                .desired_width(220.0),
        )
        .labelled_by(label.id);
    });
    if let Err(e) = form.timezone() {
        ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), e);
    }
    ui.checkbox(
        &mut form.pseudonymise,
        "pseudonymise names, e-mail addresses and phone numbers",
    );
    if !form.problems.is_empty() {
        ui.add_space(6.0);
        ui.colored_label(
            theme::readable(ui.visuals(), theme::ERROR),
            format!(
                "{} malformed line{}",
                form.problems.len(),
                if form.problems.len() == 1 { "" } else { "s" }
            ),
        );
        egui::ScrollArea::vertical()
            .id_salt("malformed lines")
            .max_height(120.0)
            .show(ui, |ui| {
                for p in &form.problems {
                    ui.monospace(format!("line {}: {}", p.line, p.message));
                }
            });
        ui.checkbox(&mut form.skip_malformed, "skip the malformed lines");
    }
    if !form.skipped.is_empty() {
        ui.add_space(6.0);
        ui.label(format!(
            "{} line{} left out",
            form.skipped.len(),
            if form.skipped.len() == 1 { "" } else { "s" }
        ));
        egui::ScrollArea::vertical()
            .id_salt("skipped lines")
            .max_height(100.0)
            .show(ui, |ui| {
                for s in &form.skipped {
                    ui.label(
                        RichText::new(format!("line {}: {}: {}", s.line, s.why, s.text)).weak(),
                    );
                }
            });
    }
    for note in &form.notes {
        ui.label(RichText::new(note).weak());
    }
    if let Some(what) = &form.replaces_unsaved {
        ui.add_space(6.0);
        ui.colored_label(
            theme::readable(ui.visuals(), theme::WARNING),
            format!("The scenario “{what}” has unsaved changes: importing replaces it."),
        );
    }
    let request = form.request();
    if let Err(why) = &request
        && form.timezone().is_ok()
    {
        ui.colored_label(theme::readable(ui.visuals(), theme::WARNING), why);
    }
    if let Some(e) = &form.error {
        ui.colored_label(theme::readable(ui.visuals(), theme::ERROR), e);
    }
    let ok = if form.replaces_unsaved.is_some() {
        "Discard changes and import"
    } else {
        "Import"
    };
    if buttons_ui(ui, ok, request.is_ok(), commands)
        && let Ok(request) = request
    {
        commands.push(Command::ImportChat(Box::new(request)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/chats")
            .join(name)
    }

    #[test]
    fn a_whatsapp_export_lists_its_participants_and_validates_the_zone() {
        let mut form =
            ChatForm::read(&chat("android-fr.txt"), "Europe/Paris", "nobody").expect("reads");
        assert_eq!(form.format, ChatFormat::Whatsapp);
        assert!(form.participants.len() >= 2, "{:?}", form.participants);
        assert_ne!(form.user, form.bot);
        assert!(form.request().is_ok());
        form.timezone = "Europe/Pariss".to_owned();
        let e = form.request().expect_err("unknown zone");
        assert!(e.contains("unknown time zone `Europe/Pariss`"), "{e}");
        form.timezone = "Europe/Paris".to_owned();
        form.bot = form.user;
        assert!(form.request().is_err());
    }

    #[test]
    fn malformed_lines_are_listed_and_must_be_skipped_on_purpose() {
        let mut form =
            ChatForm::read(&chat("malformed.txt"), "Europe/Paris", "nobody").expect("reads");
        assert!(!form.problems.is_empty());
        let e = form.request().expect_err("asks first");
        assert!(e.contains("malformed"), "{e}");
        form.skip_malformed = true;
        let request = form.request().expect("ready");
        let imported = import_chat_request(&request).expect("imports the rest");
        let status = chat_status(&request, &imported);
        assert!(status.contains("left out"), "{status}");
        for p in &form.problems {
            assert!(status.contains(&format!("{} (", p.line)), "{status}");
        }
    }

    #[test]
    fn a_file_without_messages_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("relance-chatform-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("empty.txt");
        std::fs::write(&path, "nothing here\n").expect("writes");
        let e = ChatForm::read(&path, "UTC", "x").expect_err("no message");
        assert!(e.lines[0].contains("empty.txt"), "{:?}", e.lines);
        std::fs::remove_dir_all(&dir).ok();
    }
}
