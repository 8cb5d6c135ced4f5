//! The layering of ARCHITECTURE.md, enforced: reads every source file under `src/`, finds the
//! crate paths it uses (`crate::…`, `super::…`, ignoring comments and strings), and fails on
//! an import the layer table forbids, and on a new circular import between files.
//!
//! Test code (`tests.rs` files and inline `#[cfg(test)]` modules) is left out: tests may reach
//! anywhere.
//!
//! Known departures from the table are listed in [`KNOWN_LAYER_BREAKS`] and
//! [`KNOWN_FILE_CYCLES`]: each is debt to pay, and the test also fails when one of them no
//! longer occurs, so that the lists only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, from the ground up: a module may import modules of a lower layer only.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["safety"],
    &["engine", "compose"],
    &["replay"],
    &["sim", "interop", "report"],
    &["suite"],
    &["cli", "ui"],
];

/// Imports between modules of one layer that the table allows: the command line opens the
/// studio when it is given no command.
const ALLOWED_SIDEWAYS: &[(&str, &str)] = &[("cli", "ui")];

/// Imports that break the table today (importing module, imported module).
const KNOWN_LAYER_BREAKS: &[(&str, &str)] = &[];

/// Circular imports between files that exist today, each as its sorted set of files.
const KNOWN_FILE_CYCLES: &[&[&str]] = &[];

/// A module's layer, or `None` for the crate root and unknown modules.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Whether `from` may import `to` by the table alone.
fn allowed(from: &str, to: &str) -> bool {
    if from == to || ALLOWED_SIDEWAYS.contains(&(from, to)) {
        return true;
    }
    match (layer_of(from), layer_of(to)) {
        (Some(a), Some(b)) => b < a,
        // The crate root (lib.rs, main.rs) may import anything; nothing imports it.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Source text with comments, string literals and character literals blanked out, so that a
/// path in a doc comment or a message is not taken for an import.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('#') | Some('"')) && is_raw_start(&chars, i) {
            let mut hashes = 0;
            i += 1;
            while chars.get(i) == Some(&'#') {
                hashes += 1;
                i += 1;
            }
            i += 1; // the opening quote
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '"'), or a lifetime ('a) left as it is.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `i` starts a raw string (and is not the end of an identifier).
fn is_raw_start(chars: &[char], i: usize) -> bool {
    let before = i.checked_sub(1).map(|j| chars[j]);
    !before.is_some_and(|b| b.is_alphanumeric() || b == '_')
}

/// The crate paths a file uses, each as its segments after `crate::` or with `super::`
/// resolved against `module` (the file's own module path, e.g. `["engine", "trace"]`).
/// Grouped imports (`use crate::{a::b, c}`) give one path per member.
fn paths_used(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &code[i..];
        let (base, skip) = if boundary && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if boundary && rest.starts_with("super::") {
            // `super` is the parent of the file's module (a `mod.rs` is its directory's module).
            let mut base: Vec<String> = module.to_vec();
            let mut skip = 0;
            let mut tail = rest;
            while tail.starts_with("super::") {
                base.pop();
                skip += "super::".len();
                tail = &tail["super::".len()..];
            }
            (base, skip)
        } else {
            i += 1;
            continue;
        };
        i += skip;
        for tail in tails(&code[i..]) {
            let mut path = base.clone();
            path.extend(tail);
            if !path.is_empty() {
                paths.push(path);
            }
        }
    }
    paths
}

/// The paths that start at `text`: one for `a::b::c`, one per member for `{a::b, c}`.
fn tails(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        if let Some(inner) = rest.strip_prefix('{') {
            let group = &inner[..closing_brace(inner)];
            let mut out = Vec::new();
            for member in split_top_level(group) {
                for tail in tails(member.trim()) {
                    let mut path = segments.clone();
                    path.extend(tail);
                    out.push(path);
                }
            }
            return out;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segments.push(rest[..end].to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    vec![segments]
}

/// The index of the brace closing a group whose opening brace came just before `text`.
fn closing_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// The members of a group, split at its top-level commas.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members.push(&group[start..]);
    members
}

/// `code` without its inline test modules (`#[cfg(test)] mod tests { … }`): test code may
/// reach anywhere in the crate.
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_inline_mod = trimmed.starts_with("mod ")
            && trimmed
                .find(['{', ';'])
                .is_some_and(|i| trimmed.as_bytes()[i] == b'{');
        out.push_str(&rest[..at]);
        if is_inline_mod {
            let open = after.find('{').expect("an inline module has a brace");
            let body = &after[open + 1..];
            let close = closing_brace(body);
            rest = body.get(close + 1..).unwrap_or("");
        } else {
            out.push_str("#[cfg(test)]");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// One source file: its path relative to `src/` and its module path.
struct SourceFile {
    relative: String,
    module: Vec<String>,
    is_mod_file: bool,
    code: String,
}

fn source_files(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                let relative = path
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let mut module: Vec<String> = relative
                    .trim_end_matches(".rs")
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                let is_mod_file = matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                );
                if is_mod_file {
                    module.pop();
                }
                let source = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                files.push(SourceFile {
                    relative,
                    module,
                    is_mod_file,
                    code: without_test_modules(&code_only(&source)),
                });
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    files
}

/// The file a crate path lands in: the longest module prefix of the path that is a file.
fn file_of(path: &[String], by_module: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .find_map(|n| by_module.get(&path[..n]).cloned())
}

/// Module-level imports that break the table: (importing module, imported module, file).
fn layer_breaks(files: &[SourceFile]) -> BTreeSet<(String, String, String)> {
    let mut breaks = BTreeSet::new();
    for file in files {
        let Some(from) = file.module.first() else {
            continue;
        };
        for path in paths_used(&file.code, &file.module) {
            let to = &path[0];
            if layer_of(to).is_none() {
                continue; // an item of the crate root
            }
            if !allowed(from, to) {
                breaks.insert((from.clone(), to.clone(), file.relative.clone()));
            }
        }
    }
    breaks
}

/// The file graph: an edge from each file to each file it imports from, leaving out a module
/// file's imports of its own children (re-exports and declarations), which are how Rust
/// modules are built and not a dependency of the parent on the child's callers.
fn file_edges(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| (f.module.clone(), f.relative.clone()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let entry = edges.entry(file.relative.clone()).or_default();
        for path in paths_used(&file.code, &file.module) {
            let Some(target) = file_of(&path, &by_module) else {
                continue;
            };
            let child_of_self = file.is_mod_file
                && path.len() > file.module.len()
                && path.starts_with(&file.module);
            if target != file.relative && !child_of_self {
                entry.insert(target);
            }
        }
    }
    edges
}

/// The strongly connected components of more than one file (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, node: &'a str) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        if let Some(targets) = s.edges.get(node) {
            for next in targets {
                let next = next.as_str();
                if !s.index.contains_key(next) {
                    visit(s, next);
                    let low = s.low[node].min(s.low[next]);
                    s.low.insert(node, low);
                } else if s.on_stack.contains(next) {
                    let low = s.low[node].min(s.index[next]);
                    s.low.insert(node, low);
                }
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.out.sort();
    state.out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_import_follows_the_layer_table() {
    let breaks = layer_breaks(&source_files(&src()));
    let found: BTreeSet<(&str, &str)> = breaks
        .iter()
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    let new: Vec<_> = breaks
        .iter()
        .filter(|(a, b, _)| !KNOWN_LAYER_BREAKS.contains(&(a.as_str(), b.as_str())))
        .collect();
    assert!(
        new.is_empty(),
        "imports that break the layer table of ARCHITECTURE.md (module → module, in file):\n{}",
        new.iter()
            .map(|(a, b, f)| format!("  {a} → {b} in src/{f}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let gone: Vec<_> = KNOWN_LAYER_BREAKS
        .iter()
        .filter(|known| !found.contains(*known))
        .collect();
    assert!(
        gone.is_empty(),
        "these known layer breaks no longer occur: remove them from KNOWN_LAYER_BREAKS: {gone:?}"
    );
}

#[test]
fn no_new_circular_imports_between_files() {
    let found = cycles(&file_edges(&source_files(&src())));
    let known: Vec<Vec<String>> = KNOWN_FILE_CYCLES
        .iter()
        .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    let new: Vec<_> = found.iter().filter(|c| !known.contains(c)).collect();
    assert!(
        new.is_empty(),
        "files that import each other in a circle (break the circle, or move the shared part \
         down):\n{}",
        new.iter()
            .map(|c| format!("  {}", c.join(" ⇄ ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let gone: Vec<_> = known.iter().filter(|c| !found.contains(c)).collect();
    assert!(
        gone.is_empty(),
        "these known cycles no longer occur: remove them from KNOWN_FILE_CYCLES: {gone:?}"
    );
}

/// The test of the test: synthetic sources with a forbidden import are caught; the same text
/// in a comment or a string is not.
#[test]
fn a_forbidden_import_is_caught_and_a_comment_is_not() {
    let file = |relative: &str, module: &[&str], source: &str| SourceFile {
        relative: relative.to_owned(),
        module: module.iter().map(|s| (*s).to_owned()).collect(),
        is_mod_file: relative.ends_with("mod.rs"),
        code: without_test_modules(&code_only(source)),
    };
    let bad = file(
        "model/persona.rs",
        &["model", "persona"],
        "use crate::ui::theme;\nfn f() {}\n",
    );
    let grouped = file(
        "safety/lint.rs",
        &["safety", "lint"],
        "use crate::{model::Persona, report::csv};\n",
    );
    let harmless = file(
        "model/policy.rs",
        &["model", "policy"],
        "//! See [`crate::engine`].\nconst S: &str = \"crate::ui\";\nlet c = '\"'; use crate::model::Lang;\n\
         #[cfg(test)]\nmod tests {\n    use crate::ui::App;\n}\nfn g() {}\n",
    );
    let breaks = layer_breaks(&[bad, grouped, harmless]);
    let pairs: Vec<(&str, &str)> = breaks
        .iter()
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(pairs, [("model", "ui"), ("safety", "report")]);
}

#[test]
fn a_cycle_between_two_files_is_found() {
    let file = |relative: &str, module: &[&str], source: &str| SourceFile {
        relative: relative.to_owned(),
        module: module.iter().map(|s| (*s).to_owned()).collect(),
        is_mod_file: relative.ends_with("mod.rs"),
        code: without_test_modules(&code_only(source)),
    };
    let files = [
        file(
            "sim/mod.rs",
            &["sim"],
            "pub use text::Words; pub use user::User;",
        ),
        file("sim/text.rs", &["sim", "text"], "use super::user::User;"),
        file("sim/user.rs", &["sim", "user"], "use super::text::Words;"),
        file("sim/clock.rs", &["sim", "clock"], "use super::User;"),
    ];
    assert_eq!(
        cycles(&file_edges(&files)),
        [vec!["sim/text.rs".to_owned(), "sim/user.rs".to_owned()]]
    );
}
