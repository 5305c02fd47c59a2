//! The vocabulary of key bindings: one variant per thing a key can do. The
//! serde name is what the `[keys]` section of the config binds; the
//! description is the help text, so help never drifts from the bindings.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $help:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($(#[$doc])* $variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// Short help text.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $help,)* }
            }

            /// The name the `[keys]` config section uses.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    // Global.
    Quit => "quit", "quit";
    Help => "help", "help";
    Palette => "palette", "command palette";
    ShowJobs => "show_jobs", "Jobs pane";
    ShowCompanies => "show_companies", "Companies pane";
    ShowReview => "show_review", "Review pane";
    ShowDeadLetters => "show_dead_letters", "Dead letters pane";
    ShowSignals => "show_signals", "Signals pane";
    ShowQuality => "show_quality", "Quality pane";
    ShowKeys => "show_keys", "Keys pane";
    ShowExports => "show_exports", "Exports pane";
    ShowProfiles => "show_profiles", "Profiles pane";
    NextPane => "next_pane", "next pane";
    PrevPane => "prev_pane", "previous pane";
    Refresh => "refresh", "reload";
    Export => "export", "export this view";
    // Movement, shared by every list.
    Down => "down", "down";
    Up => "up", "up";
    PageDown => "page_down", "page down";
    PageUp => "page_up", "page up";
    Top => "top", "first";
    Bottom => "bottom", "last";
    Open => "open", "open";
    Back => "back", "back";
    Search => "search", "search";
    // Companies.
    Sort => "sort", "next sort column";
    ReverseSort => "reverse_sort", "reverse sort";
    FilterAssociation => "filter_association", "filter by association";
    FilterGrade => "filter_grade", "filter by grade";
    FilterState => "filter_state", "filter by state";
    FilterTechnology => "filter_technology", "filter by technology";
    ToggleHasContacts => "toggle_has_contacts", "only with contacts";
    ClearFilters => "clear_filters", "clear filters";
    // Review.
    Merge => "merge", "merge the pair";
    KeepApart => "keep_apart", "keep apart";
    Skip => "skip", "skip for now";
    Undo => "undo", "undo the last decision";
    AcceptAbove => "accept_above", "merge all above a score";
    // Jobs.
    NewJob => "new_job", "start a job";
    Pause => "pause", "pause the job";
    Resume => "resume", "resume the job";
    Cancel => "cancel", "cancel the job";
    NextField => "next_field", "next field";
    PrevField => "prev_field", "previous field";
    Toggle => "toggle", "change the value";
    // Dead letters.
    Retry => "retry", "retry";
    RetryAll => "retry_all", "retry all";
    Discard => "discard", "discard";
    // Signals.
    GroupBy => "group_by", "group by vendor/company/association";
    JumpToCompany => "jump_to_company", "show the company";
    // Keys.
    SetKey => "set_key", "set the key";
    DeleteKey => "delete_key", "delete the key";
    // Exports.
    Profile => "profile", "next export profile";
    // Profiles.
    NewProfile => "new_profile", "new profile";
    EditProfile => "edit_profile", "edit the profile";
    ScoreProfile => "score_profile", "score every company";
    // Text input (a mode of the keymap).
    Accept => "accept", "accept";
    CancelInput => "cancel_input", "cancel";
    DeleteChar => "delete_char", "delete a character";
    ClearInput => "clear_input", "clear the line";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
        assert_eq!(Action::from_name("nope"), None);
    }
}
