//! The shipped persona files: they load, validate, lint clean and round-trip exactly.

use std::path::Path;

use relance::model::Persona;
use relance::model::policy::{Policy, PolicyChoice};

fn shipped() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("personas");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("personas folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_three_required_personas_ship() {
    let names: Vec<_> = shipped()
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    for required in ["cinema-maestro.ron", "chef.ron", "minimal.ron"] {
        assert!(names.iter().any(|n| n == required), "{required} missing");
    }
}

#[test]
fn shipped_personas_round_trip_exactly() {
    for path in shipped() {
        let persona = Persona::load(&path).expect("loads");
        let canonical = persona.to_ron();
        let again = Persona::from_ron_str(&canonical, &path).expect("canonical text loads");
        assert_eq!(again, persona, "{}", path.display());
        assert_eq!(
            again.to_ron(),
            canonical,
            "{}: re-saving changes the text",
            path.display()
        );
        // Saving through the atomic path writes the same bytes.
        let dir = std::env::temp_dir().join(format!("relance-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let out = dir.join("p.ron");
        persona.save(&out).expect("saves");
        assert_eq!(std::fs::read_to_string(&out).expect("reads"), canonical);
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn shipped_personas_lint_clean() {
    for path in shipped() {
        let source = std::fs::read_to_string(&path).expect("reads");
        let persona = Persona::from_ron_str(&source, &path).expect("loads");
        let warnings = relance::safety::lint_persona_in(&persona, &source);
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
    }
}

#[test]
fn the_maestro_speaks_french_and_english_with_an_approved_whatsapp_template_in_each() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("personas/cinema-maestro.ron");
    let p = Persona::load(&path).expect("loads");
    assert_eq!(p.languages.len(), 2);
    for lang in &p.languages {
        assert!(p.whatsapp_templates.iter().any(|t| t.lang == *lang));
        assert!(p.templates.iter().any(|t| t.lang == *lang));
    }
    assert_eq!(p.policy, PolicyChoice::Preset("omni".into()));
}

#[test]
fn a_custom_policy_round_trips_inside_a_persona() {
    let mut p = Persona::new_blank("custom", "Custom");
    let mut policy = Policy::omni();
    policy.name = "gentler".into();
    policy.min_messages = policy.min_messages.map(|mut m| {
        m.count = 8;
        m
    });
    p.policy = PolicyChoice::Custom(policy);
    let text = p.to_ron();
    let back = Persona::from_ron_str(&text, Path::new("custom.ron")).expect("loads");
    assert_eq!(back, p);
}

#[test]
fn a_custom_policy_with_zero_durations_is_rejected_with_places() {
    let mut p = Persona::new_blank("custom", "Custom");
    let mut policy = Policy::omni();
    policy.delay_hours = 0;
    policy.window = policy.window.map(|mut w| {
        w.days = -3;
        w
    });
    p.policy = PolicyChoice::Custom(policy);
    let text = p.to_ron();
    let err = Persona::from_ron_str(&text, Path::new("custom.ron")).expect_err("rejected");
    let diagnostics = err.diagnostics();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    for d in &diagnostics {
        let (line, _) = d.position.expect("placed");
        let key = d.field.rsplit('.').next().expect("key");
        assert!(
            text.lines().nth(line - 1).expect("line").contains(key),
            "{d:?}"
        );
    }
}
