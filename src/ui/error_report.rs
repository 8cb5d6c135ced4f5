//! The studio's error panel: a file that could not be opened, saved or written, with one line
//! per problem (file and place first), shown above the tabs until dismissed.

use crate::model::diagnostics::LoadError;

/// A file that could not be opened or saved, shown until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorReport {
    /// What failed ("cannot open broken.ron").
    pub title: String,
    /// One line per problem, `file:line:col: error: message`.
    pub lines: Vec<String>,
}

impl ErrorReport {
    /// "`what` `path`" with one line per diagnostic of `error`.
    pub fn load(what: &str, error: &LoadError) -> Self {
        let path = error.path();
        Self {
            title: format!("{what} {}", path.display()),
            lines: error
                .diagnostics()
                .iter()
                .map(|d| d.display_in(path).to_string())
                .collect(),
        }
    }
}

/// An error for the studio's error panel: a title and the error's lines (file and place first).
pub fn error_report(title: String, error: &dyn std::fmt::Display) -> ErrorReport {
    ErrorReport {
        title,
        lines: error.to_string().lines().map(str::to_owned).collect(),
    }
}
