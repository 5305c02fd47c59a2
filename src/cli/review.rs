//! `nam review`: the merge-review queue for scripts (the TUI's review pane
//! calls the same functions in `resolve::review`).

use anyhow::{Result, bail};
use clap::Args;

use super::Env;
use crate::model::DecisionKind;
use crate::resolve::review;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").args([
    "list", "merge", "keep_apart", "skip", "undo", "accept_above", "decisions"
])))]
pub struct ReviewArgs {
    /// List pending pairs, the most uncertain first (the default).
    #[arg(long)]
    pub list: bool,
    /// With --list: show at most N pairs.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Merge two companies (the older id survives).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub merge: Option<Vec<i64>>,
    /// Keep two companies apart: never merged automatically, never asked again.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub keep_apart: Option<Vec<i64>>,
    /// Not sure: leave the pair apart and do not ask again.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub skip: Option<Vec<i64>>,
    /// Undo a decision (a merge restores both companies exactly).
    #[arg(long, value_name = "DECISION")]
    pub undo: Option<i64>,
    /// Merge every pending pair scoring at least SCORE (0..1).
    #[arg(long, value_name = "SCORE")]
    pub accept_above: Option<f64>,
    /// List standing decisions (ids for --undo).
    #[arg(long)]
    pub decisions: bool,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

fn pair(v: &[i64]) -> Result<(i64, i64)> {
    match v {
        [a, b] => Ok((*a, *b)),
        _ => bail!("expected two company ids"),
    }
}

pub fn cmd_review(env: &Env, args: &ReviewArgs) -> Result<()> {
    let mut store = env.open_store()?;
    if let Some(v) = &args.merge {
        let (a, b) = pair(v)?;
        let id = review::merge(&mut store, a, b)?;
        println!("merged {a} and {b} (decision {id}; undo with `nam review --undo {id}`)");
        return Ok(());
    }
    for (v, kind, verb) in [
        (&args.keep_apart, DecisionKind::KeepApart, "kept apart"),
        (&args.skip, DecisionKind::Skip, "skipped"),
    ] {
        if let Some(v) = v {
            let (a, b) = pair(v)?;
            let id = review::answer(&mut store, kind, a, b)?;
            println!("{verb} {a} and {b} (decision {id})");
            return Ok(());
        }
    }
    if let Some(id) = args.undo {
        review::undo(&mut store, id)?;
        println!("undid decision {id}; the pair is back in the review queue");
        return Ok(());
    }
    if let Some(score) = args.accept_above {
        let ids = review::accept_above(&mut store, score)?;
        println!("merged {} pairs scoring at least {score}", ids.len());
        return Ok(());
    }
    if args.decisions {
        for d in store.decisions()? {
            if args.json {
                println!("{}", serde_json::to_string(&d)?);
            } else {
                println!(
                    "{:>6}  {:<10} {:>6} + {:<6} by {:<8} {}  {}",
                    d.id,
                    d.decision.as_str(),
                    d.left_id,
                    d.right_id,
                    d.decided_by.as_str(),
                    d.score.map(|s| format!("{s:.2}")).unwrap_or_default(),
                    d.decided_at
                );
            }
        }
        return Ok(());
    }
    let items = review::queue(&store, Some(args.limit))?;
    if args.json {
        for i in &items {
            println!("{}", serde_json::to_string(i)?);
        }
        return Ok(());
    }
    if items.is_empty() {
        println!("nothing to review");
        return Ok(());
    }
    let place = |c: &crate::model::Company| {
        [c.city.as_deref(), c.state.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    };
    for i in &items {
        let c = &i.candidate;
        println!("{:.2}  {} + {}", c.score, c.left_id, c.right_id);
        for s in [&i.left, &i.right] {
            println!(
                "      {:>6}  {}  {}  {}  {}",
                s.id,
                s.name,
                s.domain.as_deref().unwrap_or("-"),
                s.phone.as_deref().unwrap_or("-"),
                place(s)
            );
        }
        if !c.evidence.agreed.is_empty() {
            println!("      agree: {}", c.evidence.agreed.join(", "));
        }
        if !c.evidence.conflicted.is_empty() {
            println!("      differ: {}", c.evidence.conflicted.join(", "));
        }
    }
    let total = store.pending_candidates(None)?.len();
    println!(
        "{} of {total} pending; answer with --merge A B, --keep-apart A B or --skip A B",
        items.len()
    );
    Ok(())
}
