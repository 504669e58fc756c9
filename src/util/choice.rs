//! Parsing a named choice (a window function, a colour map) from user text, forgiving about case,
//! `_` for `-` and the American "gray", and listing the choices when the text matches none.

/// Text that names none of the choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{text}' (choose from {})", choices.join(", "))]
pub struct ChoiceError {
    /// What was chosen ("window function").
    pub what: &'static str,
    pub text: String,
    pub choices: Vec<&'static str>,
}

/// The element of `choices` whose `name` matches `text`.
pub(crate) fn parse_choice<T: Copy>(
    text: &str,
    choices: impl IntoIterator<Item = T>,
    name: impl Fn(T) -> &'static str,
    what: &'static str,
) -> Result<T, ChoiceError> {
    let wanted = text
        .trim()
        .to_ascii_lowercase()
        .replace(['_', ' '], "-")
        .replace("gray", "grey");
    let choices: Vec<T> = choices.into_iter().collect();
    choices
        .iter()
        .copied()
        .find(|c| name(*c) == wanted)
        .ok_or_else(|| ChoiceError {
            what,
            text: text.to_owned(),
            choices: choices.iter().map(|c| name(*c)).collect(),
        })
}
