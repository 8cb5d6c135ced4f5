//! Placeholder syntax of template texts: the `{placeholders}` a template may use, agreements
//! with a topic (`{topic:nouveaux/nouvelles}`), and the parsing both validation and the composer
//! rely on. Filling them is `crate::compose`'s work.

/// The placeholders a follow-up template may use. Besides them, an agreement such as
/// `{topic:nouveaux/nouvelles}` picks the form agreeing with a topic (see [`Slot::Agreement`]).
pub const PLACEHOLDERS: [(&str, &str); 11] = [
    ("greeting", "one of the persona's greetings"),
    ("signoff", "one of the persona's sign-offs"),
    ("user_name", "the user's display name"),
    ("persona_name", "the persona's name"),
    ("topic", "a topic of the persona the user talked about"),
    ("mention", "a film, person or place the user named"),
    ("topic2", "a second topic the user talked about"),
    ("mention2", "a second thing the user named"),
    ("days_since", "whole days since the user's last message"),
    ("signature", "one of the persona's signature phrases"),
    (
        "emoji",
        "an emoji fitting the persona's emoji use (may be empty)",
    ),
];

/// A placeholder in a template's text, with its byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceholderRef<'a> {
    /// The name between the braces.
    pub name: &'a str,
    /// Byte offset of `{`.
    pub start: usize,
}

/// The `{placeholders}` of a template text, or a message about an unbalanced brace.
pub fn placeholders(text: &str) -> Result<Vec<PlaceholderRef<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    let brace = |s: &str| memchr::memchr2(b'{', b'}', s.as_bytes());
    while let Some(open) = brace(rest) {
        if rest[open..].starts_with('}') {
            return Err(format!(
                "a `}}` without its `{{` at character {}",
                text[..offset + open].chars().count() + 1
            ));
        }
        let Some(close) = brace(&rest[open + 1..]) else {
            return Err("a `{` is never closed".to_owned());
        };
        if rest[open + 1 + close..].starts_with('{') {
            return Err("a `{` is never closed".to_owned());
        }
        let name = &rest[open + 1..open + 1 + close];
        out.push(PlaceholderRef {
            name,
            start: offset + open,
        });
        let consumed = open + 1 + close + 1;
        rest = &rest[consumed..];
        offset += consumed;
    }
    Ok(out)
}

/// A placeholder of a template, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot<'a> {
    /// A named value: `{greeting}`, `{mention}`…
    Named(&'a str),
    /// A form agreeing with a topic: `{topic:nouveaux/nouvelles}`.
    Agreement {
        /// `topic` or `topic2`.
        topic: &'a str,
        /// The forms: masculine/feminine, or the four gender × number forms.
        forms: Vec<&'a str>,
    },
}

/// The placeholders an agreement can refer to.
pub const AGREEING: [&str; 2] = ["topic", "topic2"];

/// Parses the text between a placeholder's braces.
pub fn parse_slot(name: &str) -> Result<Slot<'_>, String> {
    if let Some((topic, forms)) = name.split_once(':') {
        if !AGREEING.contains(&topic) {
            return Err(format!(
                "`{{{name}}}`: an agreement refers to {{topic}} or {{topic2}}, not `{topic}`"
            ));
        }
        let forms: Vec<&str> = forms.split('/').collect();
        if forms.len() != 2 && forms.len() != 4 {
            return Err(format!(
                "`{{{name}}}`: an agreement has 2 forms (masculine/feminine) or 4 (masculine singular/feminine singular/masculine plural/feminine plural), not {}",
                forms.len()
            ));
        }
        return Ok(Slot::Agreement { topic, forms });
    }
    if PLACEHOLDERS.iter().any(|(n, _)| *n == name) {
        Ok(Slot::Named(name))
    } else {
        Err(format!(
            "unknown placeholder `{{{name}}}`; the placeholders are {}, and agreements such as {{topic:nouveaux/nouvelles}}",
            PLACEHOLDERS
                .iter()
                .map(|(n, _)| format!("{{{n}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// What is wrong with a placeholder name, for validation; `None` when it is fine.
pub fn placeholder_problem(name: &str) -> Option<String> {
    parse_slot(name).err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_with_offsets() {
        let refs = placeholders("{greeting} Tu as vu {mention} ?").expect("well formed");
        assert_eq!(
            refs,
            [
                PlaceholderRef {
                    name: "greeting",
                    start: 0
                },
                PlaceholderRef {
                    name: "mention",
                    start: 20
                }
            ]
        );
        assert!(placeholders("oops {greeting").is_err());
        assert!(placeholders("oops } there").is_err());
        assert!(placeholders("{a{b}").is_err());
    }

    #[test]
    fn slots_parse_names_and_agreements() {
        assert_eq!(parse_slot("mention"), Ok(Slot::Named("mention")));
        assert_eq!(
            parse_slot("topic2:nouveaux/nouvelles"),
            Ok(Slot::Agreement {
                topic: "topic2",
                forms: vec!["nouveaux", "nouvelles"]
            })
        );
        assert!(parse_slot("mention:a/b").is_err());
        assert!(parse_slot("topic:a/b/c").is_err());
        assert!(
            placeholder_problem("usr_name").is_some_and(|m| m.contains("{usr_name}")),
            "the message names the bad placeholder"
        );
    }
}
