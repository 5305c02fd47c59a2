//! A one-line text input: search boxes, the command palette, form fields and
//! secret entry (masked: the text is never drawn).

use ratatui::style::Stylize;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub prompt: String,
    pub text: String,
    /// Draw `•` for every character (API keys).
    pub masked: bool,
}

impl TextInput {
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            ..Default::default()
        }
    }

    pub fn masked(prompt: impl Into<String>) -> Self {
        Self {
            masked: true,
            ..Self::new(prompt)
        }
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Typed characters; control characters never enter the text.
    pub fn insert(&mut self, c: char) {
        if !c.is_control() {
            self.text.push(c);
        }
    }

    pub fn delete(&mut self) {
        self.text.pop();
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    pub fn line(&self, hint: &str) -> Line<'static> {
        let shown = if self.masked {
            "•".repeat(self.text.chars().count())
        } else {
            self.text.clone()
        };
        Line::from(vec![
            Span::raw(self.prompt.clone()).bold(),
            Span::raw(shown),
            Span::raw("▏"),
            Span::raw(format!("  {hint}")).dim(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_input_never_draws_the_text() {
        let mut i = TextInput::masked("key: ");
        for c in "sk-secret".chars() {
            i.insert(c);
        }
        i.insert('\u{1b}');
        assert_eq!(i.text, "sk-secret");
        let drawn: String = i
            .line("")
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(!drawn.contains("secret"), "{drawn}");
        assert!(drawn.contains("•••••••••"));
        i.delete();
        assert_eq!(i.text, "sk-secre");
        i.clear();
        assert!(i.text.is_empty());
    }
}
