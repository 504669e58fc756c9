//! Parsing a named choice (a window function, a colour map) from user text, forgiving about case,
//! `_` for `-` and the American "gray", and listing the choices when the text matches none.

/// The element of `choices` whose `name` matches `text`.
pub(crate) fn parse_choice<T: Copy>(
    text: &str,
    choices: &[T],
    name: impl Fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    let wanted = text
        .trim()
        .to_ascii_lowercase()
        .replace(['_', ' '], "-")
        .replace("gray", "grey");
    choices
        .iter()
        .copied()
        .find(|c| name(*c) == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|c| name(*c)).collect();
            format!("unknown {what} '{text}' (choose from {})", names.join(", "))
        })
}
