//! Interoperability: character cards in and out, real chats as scenarios, reports.
//!
//! Card fixtures in `tests/data/cards/` were written from the published Character Card V1/V2/V3
//! specifications; PNG cards "written by another tool" are made here with the `png` crate's own
//! encoder (text chunks before and after the image data, compressed or not). Chat fixtures in
//! `tests/data/chats/` hold one conversation in every WhatsApp locale and clock variant.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, TimeZone as _, Utc};
use relance::interop::card::{BACKFILL_NOTE, CardSpec};
use relance::interop::chat::{
    ChatError, ChatImportOptions, DateOrder, import_chat, import_chat_str,
};
use relance::interop::{
    ImportedPersona, PersonaFormat, PersonaSource, export_persona, import_persona,
    import_persona_bytes, png as card_png,
};
use relance::model::{Channel, Persona, Scenario, Sender};
use serde_json::{Value, json};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn shipped_personas() -> Vec<Persona> {
    [
        "personas/cinema-maestro.ron",
        "personas/chef.ron",
        "personas/minimal.ron",
    ]
    .iter()
    .map(|p| Persona::load(&data(p)).expect("shipped persona loads"))
    .collect()
}

fn import(bytes: &[u8], name: &str) -> ImportedPersona {
    import_persona_bytes(bytes, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A PNG written by the `png` crate, with `before` text chunks in the header and `after` ones
/// after the image data.
fn png_by_other_tool(before: &[(&str, &str, &str)], after: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 2, 2);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        for (kind, keyword, text) in before {
            match *kind {
                "tEXt" => encoder.add_text_chunk(keyword.to_string(), text.to_string()),
                "zTXt" => encoder.add_ztxt_chunk(keyword.to_string(), text.to_string()),
                _ => encoder.add_itxt_chunk(keyword.to_string(), text.to_string()),
            }
            .expect("chunk");
        }
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&[200u8; 12]).expect("pixels");
        for (kind, keyword, text) in after {
            match *kind {
                "tEXt" => {
                    writer.write_text_chunk(&png::text_metadata::TEXtChunk::new(*keyword, *text))
                }
                "zTXt" => {
                    writer.write_text_chunk(&png::text_metadata::ZTXtChunk::new(*keyword, *text))
                }
                _ => {
                    let mut chunk = png::text_metadata::ITXtChunk::new(*keyword, *text);
                    chunk.compress_text().expect("compress");
                    writer.write_text_chunk(&chunk)
                }
            }
            .expect("chunk");
        }
        writer.finish().expect("finish");
    }
    out
}

mod cards {
    use super::*;

    #[test]
    fn ron_to_ccv2_json_to_ron_is_identical() {
        for persona in shipped_personas() {
            let json = export_persona(&persona, PersonaFormat::CardV2, None).expect("exports");
            let back = import(&json, "card.json");
            assert_eq!(back.source, PersonaSource::CardJson(CardSpec::V2));
            assert_eq!(back.persona, persona, "{}", persona.id);
            assert_eq!(back.persona.to_ron(), persona.to_ron());
            assert!(back.notes.is_empty(), "{:?}", back.notes);
        }
    }

    #[test]
    fn ron_to_ccv3_png_to_ron_is_identical() {
        for persona in shipped_personas() {
            let png = export_persona(&persona, PersonaFormat::CardPng, None).expect("exports");
            let back = import(&png, "card.png");
            assert_eq!(
                back.source,
                PersonaSource::CardPng {
                    spec: CardSpec::V3,
                    chunk: "ccv3".to_owned()
                }
            );
            assert_eq!(back.persona, persona, "{}", persona.id);
            // The avatar is the image without its card chunks, still a valid PNG.
            let avatar = back.avatar_png.expect("avatar");
            assert!(
                card_png::text_chunks(&avatar, &["chara", "ccv3"])
                    .expect("valid")
                    .is_empty()
            );
            let decoder = png::Decoder::new(std::io::Cursor::new(avatar));
            let reader = decoder.read_info().expect("the png crate decodes it");
            assert_eq!(reader.info().width, 256);
        }
    }

    #[test]
    fn exported_png_has_both_chunks_and_the_v2_copy_reads_alone() {
        let persona = shipped_personas().remove(0);
        let png = export_persona(&persona, PersonaFormat::CardPng, None).expect("exports");
        let chunks = card_png::text_chunks(&png, &["chara", "ccv3"]).expect("valid");
        let keywords: Vec<&str> = chunks.iter().map(|c| c.keyword.as_str()).collect();
        assert_eq!(keywords, ["chara", "ccv3"]);
        let decode = |i: usize| -> Value {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&chunks[i].text)
                .expect("base64");
            serde_json::from_slice(&bytes).expect("json")
        };
        let (v2, v3) = (decode(0), decode(1));
        assert_eq!(v2["spec"], "chara_card_v2");
        assert_eq!(v3["spec"], "chara_card_v3");
        assert_eq!(v3["data"]["group_only_greetings"], json!([]));
        assert!(
            v2["data"]["creator_notes"]
                .as_str()
                .expect("text")
                .contains(BACKFILL_NOTE)
        );
        // A reader that only knows V2 gets the same persona, the backfill note trimmed.
        let only_v2 = card_png::replace_text_chunks(&png, &["ccv3"], &[]).expect("rewritten");
        let back = import(&only_v2, "v2.png");
        assert_eq!(back.persona, persona);
        // And the written image is a PNG other tools decode.
        let reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("decodes");
        let texts: Vec<&str> = reader
            .info()
            .uncompressed_latin1_text
            .iter()
            .map(|t| t.keyword.as_str())
            .collect();
        assert!(texts.contains(&"chara") || reader.info().uncompressed_latin1_text.is_empty());
    }

    #[test]
    fn sillytavern_v2_card_keeps_every_field_and_unknown_extension() {
        let path = data("tests/data/cards/v2-sillytavern.json");
        let imported = import_persona(&path).expect("imports");
        let p = &imported.persona;
        assert_eq!(p.id, "seraphine");
        assert_eq!(p.name, "Seraphine");
        assert_eq!(p.languages, [relance::model::Lang::En]);
        assert!(p.validate().is_empty(), "{:?}", p.validate());
        let greetings = &p.greetings[&relance::model::Lang::En];
        assert_eq!(greetings.len(), 3);
        assert!(
            greetings[0].contains("{{user}}"),
            "macros are kept verbatim"
        );
        assert!(p.templates.is_empty(), "macros do not become templates");
        assert_eq!(p.card.personality, "warm, theatrical, nostalgic");
        assert_eq!(
            p.card.system_prompt,
            "You are {{char}}. Stay in character. {{original}}"
        );
        assert_eq!(
            p.card.post_history_instructions,
            "Keep answers under 120 words."
        );
        assert_eq!(p.card.creator, "lyonnaise");
        assert_eq!(p.card.character_version, "1.2");
        assert_eq!(p.card.tags, ["music", "slice of life"]);
        assert_eq!(p.card.extensions["depth_prompt"]["depth"], json!(4));
        assert_eq!(
            p.card.other["character_book"]["entries"][0]["keys"],
            json!(["Callas", "Maria"])
        );
        assert!(
            imported.notes.iter().any(|n| n.contains("`chat`")),
            "{:?}",
            imported.notes
        );

        // Export again: the card's data is the original's, plus extensions.relance.
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let exported: Value = serde_json::from_slice(
            &export_persona(p, PersonaFormat::CardV2, None).expect("exports"),
        )
        .expect("json");
        let mut data = exported["data"].clone();
        assert!(data["extensions"]["relance"].is_object());
        data["extensions"]
            .as_object_mut()
            .expect("object")
            .remove("relance");
        assert_eq!(data, original["data"]);
    }

    #[test]
    fn unknown_extensions_survive_import_edit_export() {
        let imported = import_persona(&data("tests/data/cards/v3-nightjar.json")).expect("imports");
        let mut persona = imported.persona;
        // Edit in Relance: a template, a topic keyword, another policy.
        persona.templates.push(relance::model::persona::Template {
            id: "checkin".to_owned(),
            lang: persona.first_language(),
            text: "{greeting} Still awake?".to_owned(),
        });
        persona.policy = relance::model::PolicyChoice::Preset("omni-two-weeks".to_owned());
        let ron = persona.to_ron();
        let reloaded =
            Persona::from_ron_str(&ron, Path::new("nightjar.ron")).expect("RON round trip");
        assert_eq!(reloaded, persona);
        let v3: Value = serde_json::from_slice(
            &export_persona(&reloaded, PersonaFormat::CardV3, None).expect("exports"),
        )
        .expect("json");
        let d = &v3["data"];
        assert_eq!(
            d["extensions"]["risuai"],
            json!({"utilityBot": false, "sourceMap": {}})
        );
        assert_eq!(d["nickname"], "Jar");
        assert_eq!(
            d["group_only_greetings"],
            json!(["Nightjar here, with guests tonight."])
        );
        assert_eq!(
            d["assets"][1]["uri"],
            "embeded://assets/background/images/studio.webp"
        );
        assert_eq!(
            d["creator_notes_multilingual"]["fr"],
            "Pour les discussions tardives."
        );
        assert_eq!(d["source"], json!(["https://example.org/cards/nightjar"]));
        // Milliseconds were read as such and written back in seconds, as the spec says.
        assert_eq!(d["creation_date"], json!(1735689600));
        assert_eq!(d["modification_date"], json!(1738368000));
        assert_eq!(d["extensions"]["relance"]["templates"][0]["id"], "checkin");
        // And the edited persona comes back whole.
        let again = import(v3.to_string().as_bytes(), "again.json");
        assert_eq!(again.persona, reloaded);
    }

    #[test]
    fn v1_and_variation_cards_import() {
        let v1 = import_persona(&data("tests/data/cards/v1-baker.json")).expect("imports");
        assert_eq!(v1.source, PersonaSource::CardJson(CardSpec::V1));
        assert_eq!(v1.persona.languages, [relance::model::Lang::Fr]);
        assert_eq!(v1.persona.card.personality, "jovial, généreux");
        assert_eq!(
            v1.persona.tone.formality,
            relance::model::persona::Formality::Vous
        );
        assert!(v1.persona.description[&relance::model::Lang::Fr].starts_with("Bernard est"));
        let v = import_persona(&data("tests/data/cards/v2-variations.json")).expect("imports");
        let p = &v.persona;
        assert_eq!(
            p.greetings[&relance::model::Lang::En],
            ["Well met, {{user}}.", "Another day, another rhyme."]
        );
        assert_eq!(p.card.tags, ["poetry", "fantasy"]);
        assert_eq!(p.card.character_version, "2");
        assert!(!p.card.other.contains_key("character_book"));
        assert_eq!(p.card.other["creation_date"], json!(1700000000));
    }

    #[test]
    fn edits_made_in_another_tool_win_over_the_relance_copy() {
        let persona = shipped_personas().remove(0);
        let mut card: Value = serde_json::from_slice(
            &export_persona(&persona, PersonaFormat::CardV2, None).expect("exports"),
        )
        .expect("json");
        card["data"]["description"] = json!("Edited elsewhere.");
        card["data"]["extensions"]["other_tool"] = json!({"x": [1, 2]});
        let back = import(card.to_string().as_bytes(), "edited.json");
        let lang = persona.first_language();
        assert_eq!(back.persona.description[&lang], "Edited elsewhere.");
        assert_eq!(back.persona.templates, persona.templates);
        assert_eq!(
            back.persona.card.extensions["other_tool"],
            json!({"x": [1, 2]})
        );
    }

    #[test]
    fn png_cards_written_by_other_tools_are_read_wherever_the_chunk_sits() {
        let v2 =
            std::fs::read_to_string(data("tests/data/cards/v2-sillytavern.json")).expect("read");
        let v3 = std::fs::read_to_string(data("tests/data/cards/v3-nightjar.json")).expect("read");
        // chara in a tEXt chunk after the image data, base64 without padding.
        let unpadded = b64(&v2).trim_end_matches('=').to_owned();
        let a = png_by_other_tool(&[], &[("tEXt", "chara", &unpadded)]);
        let got = import(&a, "a.png");
        assert_eq!(got.persona.name, "Seraphine");
        // Both chunks: ccv3 (compressed iTXt, after IDAT) wins over chara (zTXt, before IDAT).
        let b = png_by_other_tool(
            &[("zTXt", "chara", &b64(&v2))],
            &[("iTXt", "ccv3", &b64(&v3))],
        );
        let got = import(&b, "b.png");
        assert_eq!(got.persona.name, "Nightjar");
        assert_eq!(
            got.source,
            PersonaSource::CardPng {
                spec: CardSpec::V3,
                chunk: "ccv3".to_owned()
            }
        );
        // No card: the error names the file and the text chunks found.
        let c = png_by_other_tool(&[("tEXt", "Software", "paint")], &[]);
        let err = import_persona_bytes(&c, Path::new("c.png")).expect_err("no card");
        let text = err.to_string();
        assert!(
            text.starts_with("c.png: ") && text.contains("`Software`"),
            "{text}"
        );
        // A truncated file: the error names the byte.
        let err = import_persona_bytes(b"GIF89a", Path::new("e.png")).expect_err("not png");
        assert!(err.to_string().contains("not a PNG image"), "{err}");
        let err = import_persona_bytes(&a[..a.len() - 20], Path::new("d.png")).expect_err("cut");
        assert!(err.to_string().starts_with("d.png: byte "), "{err}");
    }

    #[test]
    fn bad_cards_are_reported_with_file_and_place() {
        let err = import_persona_bytes(
            b"{\"spec\": \"chara_card_v2\",\n \"data\": {\"name\": }}",
            Path::new("x.json"),
        )
        .expect_err("syntax");
        assert!(err.to_string().starts_with("x.json:2:"), "{err}");
        let err = import_persona_bytes(
            br#"{"spec": "chara_card_v2", "data": {"name": "A", "tags": {"a": 1}}}"#,
            Path::new("y.json"),
        )
        .expect_err("shape");
        assert!(err.to_string().contains("data.tags"), "{err}");
    }

    #[test]
    fn a_world_info_file_is_named_and_a_null_card_says_what_is_missing() {
        let lorebook = json!({"entries": {"0": {"uid": 0, "key": ["Paris"], "keysecondary": [],
            "content": "Paris is where the story starts.", "comment": "city"}}});
        let err = import_persona_bytes(lorebook.to_string().as_bytes(), Path::new("wi.json"))
            .expect_err("not a card");
        assert!(
            err.to_string()
                .contains("World Info (lorebook) file, not a character card"),
            "{err}"
        );
        let err = import_persona_bytes(b"null", Path::new("null.json")).expect_err("null");
        let text = err.to_string();
        assert!(text.contains("`null`") && text.contains("`name`"), "{text}");
        assert!(!text.contains("(in )"), "{text}");
    }

    #[test]
    fn card_language_comes_from_its_text_and_ids_stay_unique() {
        let card = |name: &str, description: &str, first: &str| {
            json!({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": name,
                "description": description, "personality": "", "scenario": "",
                "first_mes": first, "mes_example": ""}})
            .to_string()
        };
        let a = import(
            card(
                "小明",
                "小明是一个住在北京的大学生，他喜欢看电影、听音乐，每天晚上都会和朋友们聊天。",
                "你好！今天过得怎么样？我们聊聊最近看的电影吧。",
            )
            .as_bytes(),
            "a.json",
        );
        let b = import(
            card(
                "小红",
                "小红是一位住在上海的画家，她喜欢在公园里画画，也喜欢和别人分享她的作品。",
                "你好呀！你今天想聊些什么呢？",
            )
            .as_bytes(),
            "b.json",
        );
        assert_ne!(a.persona.id, b.persona.id);
        assert!(a.persona.id.starts_with("persona-"), "{}", a.persona.id);
        assert!(
            a.notes
                .iter()
                .any(|n| n.contains("a language Relance has no texts for")),
            "{:?}",
            a.notes
        );
        let french = import(
            card(
                "Margot",
                "Margot est une pâtissière parisienne qui adore partager ses recettes avec ses amis.",
                "Bonjour ! Tu veux que je te montre comment on fait des croissants ?",
            )
            .as_bytes(),
            "fr.json",
        );
        assert_eq!(french.persona.languages, [relance::model::Lang::Fr]);
        assert_eq!(french.persona.id, "margot");
    }

    #[test]
    fn persona_json_round_trips() {
        for persona in shipped_personas() {
            let json = export_persona(&persona, PersonaFormat::Json, None).expect("exports");
            assert_eq!(import(&json, "p.json").persona, persona);
            let ron = export_persona(&persona, PersonaFormat::Ron, None).expect("exports");
            assert_eq!(import(&ron, "p.ron").persona, persona);
        }
    }
}

mod chats {
    use super::*;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Paris
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn expected() -> Vec<(DateTime<Utc>, Sender, &'static str)> {
        vec![
            (
                paris(2026, 1, 5, 19, 3),
                Sender::User,
                "Tu connais la BO d'Interstellar ?",
            ),
            (
                paris(2026, 1, 5, 19, 4),
                Sender::Bot,
                "Bien sûr, Hans Zimmer ! L'orgue est inoubliable.",
            ),
            (
                paris(2026, 1, 5, 19, 10),
                Sender::User,
                "Hans Zimmer est mon compositeur préféré.\nJe l'écoute en boucle.",
            ),
            (
                paris(2026, 1, 6, 12, 30),
                Sender::User,
                "Pas encore ! Je prépare une soirée ciné samedi.",
            ),
            (
                paris(2026, 1, 8, 21, 45),
                Sender::User,
                "Et la musique de Dune, tu en penses quoi ?",
            ),
            (
                paris(2026, 1, 8, 21, 46),
                Sender::Bot,
                "Hans Zimmer encore ! Des percussions incroyables.",
            ),
            (
                paris(2026, 1, 13, 8, 5),
                Sender::User,
                "Merci pour les idées, à bientôt !",
            ),
        ]
    }

    fn events(s: &Scenario) -> Vec<(DateTime<Utc>, Sender, &str)> {
        s.users[0]
            .events
            .iter()
            .map(|e| (e.at, e.from, e.text.as_str()))
            .collect()
    }

    fn options() -> ChatImportOptions {
        ChatImportOptions::new(Some("Léa"), Some("Maestro"), chrono_tz::Europe::Paris)
    }

    #[test]
    fn every_whatsapp_variant_parses_to_the_same_events() {
        for file in [
            "android-en-us.txt",
            "android-fr.txt",
            "ios-en-gb.txt",
            "ios-fr.txt",
            "ios-en-us.txt",
        ] {
            let imported = import_chat(&data(&format!("tests/data/chats/{file}")), &options())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let s = &imported.scenario;
            assert_eq!(events(s), expected(), "{file}");
            assert_eq!(s.users.len(), 1);
            assert_eq!(s.users[0].id, "lea");
            assert_eq!(s.users[0].locale, "fr", "{file}");
            assert!(
                s.users[0]
                    .events
                    .iter()
                    .all(|e| e.channel == Channel::Whatsapp)
            );
            // The encryption notice is skipped, and reported at its line.
            assert_eq!(imported.skipped.len(), 1, "{file}: {:?}", imported.skipped);
            assert_eq!(
                (imported.skipped[0].line, imported.skipped[0].why.as_str()),
                (1, "system line")
            );
            // The scenario saves and loads back equal.
            let ron = s.to_string(relance::model::scenario::ScenarioFormat::Ron);
            let (back, _) = Scenario::from_str(
                &ron,
                relance::model::scenario::ScenarioFormat::Ron,
                Path::new("s.ron"),
            )
            .expect("loads");
            assert_eq!(&back, s);
        }
    }

    #[test]
    fn sillytavern_log_parses_to_the_expected_events() {
        let imported = import_chat(
            &data("tests/data/chats/sillytavern.jsonl"),
            &ChatImportOptions::new(None, None, chrono_tz::Europe::Paris),
        )
        .expect("imports");
        let mut want = vec![(
            paris(2026, 1, 5, 19, 2),
            Sender::Bot,
            "Bonsoir ! Prêt pour parler musique de film ?",
        )];
        want.extend(expected().into_iter().take(4));
        assert_eq!(events(&imported.scenario), want);
        assert_eq!(imported.scenario.users[0].name, "Léa");
        assert_eq!(imported.skipped.len(), 1);
        assert_eq!(
            (imported.skipped[0].line, imported.skipped[0].why.as_str()),
            (6, "system message")
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_line_numbers() {
        let err = import_chat(&data("tests/data/chats/malformed.txt"), &options())
            .expect_err("malformed");
        let ChatError::Malformed { problems, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [1, 3]);
        assert!(
            err.to_string()
                .contains("malformed.txt:3: `31/02/2026 19:04`"),
            "{err}"
        );
        let mut lenient = options();
        lenient.skip_malformed = true;
        let imported =
            import_chat(&data("tests/data/chats/malformed.txt"), &lenient).expect("imports");
        assert_eq!(imported.scenario.users[0].events.len(), 3);
        assert_eq!(
            imported.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            [1, 3]
        );

        let err = import_chat(
            &data("tests/data/chats/sillytavern-malformed.jsonl"),
            &ChatImportOptions::new(None, None, chrono_tz::Europe::Paris),
        )
        .expect_err("malformed");
        let ChatError::Malformed { problems, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            [3, 4, 5]
        );
    }

    #[test]
    fn participants_are_checked_and_others_reported() {
        let chat = "05/01/2026 19:03 - Léa: Salut Carol et Maestro\n05/01/2026 19:04 - Carol: Coucou Léa, mon 06 12 34 56 78\n05/01/2026 19:05 - Maestro: Bonsoir !\n";
        let err = import_chat_str(
            chat,
            Path::new("g.txt"),
            &ChatImportOptions::new(Some("Lea"), Some("Maestro"), chrono_tz::Europe::Paris),
        )
        .expect_err("unknown user");
        assert!(
            err.to_string().contains("`Léa`, `Carol`, `Maestro`"),
            "{err}"
        );
        let err = import_chat_str(
            chat,
            Path::new("g.txt"),
            &ChatImportOptions::new(None, None, chrono_tz::Europe::Paris),
        )
        .expect_err("who is who");
        assert!(err.to_string().contains("--user"), "{err}");
        let mut o = options();
        o.pseudonymise = true;
        let imported = import_chat_str(chat, Path::new("g.txt"), &o).expect("imports");
        let user = &imported.scenario.users[0];
        assert_eq!((user.id.as_str(), user.name.as_str()), ("user-a", "User A"));
        assert_eq!(user.events[0].text, "Salut Person B et Maestro");
        assert_eq!(imported.skipped.len(), 1);
        assert!(
            imported.skipped[0].why.contains("Person B"),
            "{}",
            imported.skipped[0].why
        );
        assert!(
            !imported.skipped[0].text.contains("06 12"),
            "skipped text is pseudonymised too: {}",
            imported.skipped[0].text
        );
    }

    /// The same exchange between Anna (the user) and Ben (the bot) in real export shapes:
    /// dotted times, marks everywhere, media placeholders of each app and language.
    #[test]
    fn real_export_shapes_keep_every_message_and_flag_media() {
        for (file, locale, skipped) in [
            ("android-de-dotted.txt", "de", 1),
            ("ios-de.txt", "de", 1),
            ("ios-es-12h.txt", "es", 1),
            ("android-fr-media.txt", "fr", 1),
            ("android-en-us-media.txt", "en", 1),
        ] {
            let imported = import_chat(
                &data(&format!("tests/data/chats/{file}")),
                &ChatImportOptions::new(Some("Anna"), Some("Ben"), chrono_tz::Europe::Paris),
            )
            .unwrap_or_else(|e| panic!("{file}: {e}"));
            let user = &imported.scenario.users[0];
            let shape: Vec<(Sender, bool)> =
                user.events.iter().map(|e| (e.from, e.media)).collect();
            use Sender::{Bot, User};
            assert_eq!(
                shape,
                [
                    (Bot, false),
                    (User, false),
                    (User, true),
                    (Bot, false),
                    (User, true),
                    (User, false),
                    (User, true),
                    (Bot, false)
                ],
                "{file}"
            );
            assert_eq!(user.events[0].at, paris(2024, 3, 15, 14, 30), "{file}");
            assert_eq!(user.events[7].at, paris(2024, 3, 16, 9, 5), "{file}");
            assert!(
                user.events
                    .iter()
                    .filter(|e| e.media)
                    .all(|e| e.text.is_empty()),
                "{file}: media carry no text"
            );
            assert!(
                user.events
                    .iter()
                    .all(|e| !e.text.contains(['\u{200e}', '\u{feff}'])),
                "{file}: marks are removed"
            );
            assert!(user.events[5].text.ends_with("Hans Zimmer"), "{file}");
            assert_eq!(user.locale, locale, "{file}");
            assert_eq!(
                imported.skipped.len(),
                skipped,
                "{file}: {:?}",
                imported.skipped
            );
            // A media flag survives saving; a text message writes no `media` field.
            let json = imported
                .scenario
                .to_string(relance::model::scenario::ScenarioFormat::Json);
            assert_eq!(json.matches("\"media\"").count(), 3, "{file}");
            let (back, _) = Scenario::from_str(
                &json,
                relance::model::scenario::ScenarioFormat::Json,
                Path::new("s.json"),
            )
            .expect("loads");
            assert_eq!(&back, &imported.scenario);
        }
    }

    #[test]
    fn a_message_right_after_the_colon_is_kept() {
        let imported = import_chat(
            &data("tests/data/chats/ios-en-us-colon.txt"),
            &ChatImportOptions::new(Some("Anna"), Some("Ben"), chrono_tz::Europe::Paris),
        )
        .expect("imports");
        let texts: Vec<&str> = imported.scenario.users[0]
            .events
            .iter()
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(texts.len(), 5, "{texts:?}");
        assert_eq!((texts[2], texts[4]), (".", "ok"));
        assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
    }

    #[test]
    fn unreadable_headers_are_reported_as_written_never_glued() {
        let err = import_chat(
            &data("tests/data/chats/unreadable-header.txt"),
            &ChatImportOptions::new(Some("Anna"), Some("Ben"), chrono_tz::Europe::Paris),
        )
        .expect_err("malformed");
        let ChatError::Malformed { problems, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 4]);
        let text = err.to_string();
        assert!(text.contains("`15.03.24, 14h31 - Anna: Ja"), "{text}");
        assert!(text.contains("`15.03.24, 23:59 PM`"), "{text}");
        let mut lenient =
            ChatImportOptions::new(Some("Anna"), Some("Ben"), chrono_tz::Europe::Paris);
        lenient.skip_malformed = true;
        let imported = import_chat(&data("tests/data/chats/unreadable-header.txt"), &lenient)
            .expect("imports");
        let events = &imported.scenario.users[0].events;
        // Ben's first message is not glued to the unreadable line.
        assert_eq!(events[0].text, "Hallo Anna, hast du heute Abend Zeit?");
    }

    #[test]
    fn the_date_order_can_be_forced() {
        let chat = "03/04/2026 10:00 - Léa: un\n03/05/2026 10:00 - Maestro: deux\n";
        let mut o = options();
        o.date_order = Some(DateOrder::MonthDayYear);
        let imported = import_chat_str(chat, Path::new("o.txt"), &o).expect("imports");
        assert_eq!(
            imported.scenario.users[0].events[0].at,
            paris(2026, 3, 4, 10, 0)
        );
    }
}

mod reports {
    use super::*;
    use relance::engine::Outcome;
    use relance::model::Policy;
    use relance::replay::{ReplayOptions, replay};
    use relance::report::document::{ReportFormat, ReportInput, render_report};

    fn demo() -> (Persona, Scenario, Policy) {
        let persona = Persona::load(&data("personas/cinema-maestro.ron")).expect("persona");
        let scenario =
            Scenario::load(&data("assets/scenarios/demo-cinema.json")).expect("scenario");
        let policy = persona.policy.resolve().expect("preset");
        (persona, scenario, policy)
    }

    fn render(format: ReportFormat, population: Option<&Value>) -> String {
        let (persona, scenario, policy) = demo();
        let avatar = card_png::placeholder_png(16, 16, [10, 20, 30]);
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        render_report(
            &ReportInput {
                persona: &persona,
                avatar_png: Some(&avatar),
                scenario: &scenario,
                replay: &result,
                population,
            },
            format,
        )
    }

    #[test]
    fn csv_has_one_row_per_decision() {
        let (persona, scenario, policy) = demo();
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        let decisions: Vec<_> = result.users.iter().flat_map(|u| &u.decisions).collect();
        assert!(
            decisions.len() >= 5,
            "the demo has decisions of several kinds"
        );
        let text = render(ReportFormat::Csv, None);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, relance::report::csv::CSV_COLUMNS);
        let rows: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("rows");
        assert_eq!(rows.len(), decisions.len());
        for (row, d) in rows.iter().zip(&decisions) {
            assert_eq!(&row[1], d.at.format("%Y-%m-%d %H:%M:%S").to_string());
            assert_eq!(&row[5], d.reason.as_str());
            assert_eq!(&row[7], d.text().unwrap_or(""));
            assert_eq!(
                &row[4],
                if d.outcome == Outcome::Sent {
                    "sent"
                } else {
                    "suppressed"
                }
            );
        }
    }

    #[test]
    fn html_report_is_well_formed_self_contained_and_has_every_decision() {
        let population = json!({"users": 1000, "days": 30, "seed": 7, "sent": 412, "held_back": {"too_few_messages": 301, "minor": 12},
            "per_archetype": [{"archetype": "regular", "sent": 300}, {"archetype": "night_owl", "sent": 112}]});
        let html = render(ReportFormat::Html, Some(&population));
        // Well-formed: an XML parser reads it to the end with every element closed.
        let mut reader = quick_xml::Reader::from_str(&html);
        let mut depth = 0i32;
        let mut decisions = 0usize;
        let mut svg = 0usize;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(e)) => {
                    depth += 1;
                    let class = e
                        .try_get_attribute("class")
                        .expect("attribute")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap_or_default();
                    if e.name().as_ref() == b"article" && class.starts_with("decision") {
                        decisions += 1;
                    }
                    if e.name().as_ref() == b"svg" {
                        svg += 1;
                    }
                    for attr in e.attributes() {
                        let attr = attr.expect("well-formed attribute");
                        let value = String::from_utf8_lossy(&attr.value);
                        if matches!(attr.key.as_ref(), b"src" | b"href") {
                            assert!(
                                value.starts_with("data:") || value.starts_with('#'),
                                "external resource: {value}"
                            );
                        }
                    }
                }
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at byte {}: {e}", reader.error_position()),
            }
        }
        assert_eq!(depth, 0);
        assert_eq!(svg, 1, "the timeline is an inline SVG");
        let (persona, scenario, policy) = demo();
        let result = replay(&persona, &policy, &scenario, ReplayOptions::default());
        let all: Vec<_> = result.users.iter().flat_map(|u| &u.decisions).collect();
        assert_eq!(decisions, all.len());
        for d in &all {
            assert!(html.contains(&format!("{} UTC", d.at.format("%Y-%m-%d %H:%M"))));
        }
        for (_, sentence) in policy.sentences() {
            let escaped = sentence
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(
                html.contains(&escaped),
                "policy sentence missing: {sentence}"
            );
        }
        assert!(
            html.contains("data:image/png;base64,"),
            "the avatar is embedded"
        );
        assert!(html.contains("Population summary") && html.contains("night_owl"));
        assert!(!html.contains("<script") && !html.contains("<link"));
    }

    #[test]
    fn json_report_is_the_simulate_contract() {
        let text = render(ReportFormat::Json, None);
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["policy"], "omni");
        assert!(value["users"].as_array().is_some_and(|u| !u.is_empty()));
    }
}
