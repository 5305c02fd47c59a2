//! The match model: a logistic score over the comparison features, its
//! thresholds, and how analyst decisions move its weights.
//!
//! The shipped weights (assets/resolve.toml) were fitted on labelled pairs
//! of the fixture world's normal and hard record sets, so a score is a
//! calibrated probability that two records are one firm. Each run refits
//! them on the analyst's standing answers (merge = 1, keep apart = 0) by
//! gradient descent with an L2 pull towards the shipped weights: a handful of
//! answers nudges the model, it does not overturn it.

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::compare::FEATURES;
use crate::model::{DecisionKind, DecisionRow, PairEvidence};

const SHIPPED: &str = include_str!("../../assets/resolve.toml");

/// Weights and thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Model {
    /// One weight per feature, in [`FEATURES`] order.
    pub weights: Vec<f64>,
    /// At or above: merge without asking (unless hard evidence conflicts).
    pub auto_merge: f64,
    /// Below: the pair is not a candidate at all.
    pub review_floor: f64,
    /// A record joins a cluster only if every member scores at least this
    /// with it (complete linkage: no chains).
    pub cluster_floor: f64,
    /// How strongly learning is pulled back to the shipped weights.
    #[serde(default = "default_l2")]
    pub l2: f64,
}

fn default_l2() -> f64 {
    1.0
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    /// The shipped model.
    pub fn shipped() -> Result<Model> {
        Model::parse(SHIPPED).context("assets/resolve.toml")
    }

    pub fn parse(text: &str) -> Result<Model> {
        let m: Model = toml::from_str(text)?;
        if m.weights.len() != FEATURES.len() {
            bail!(
                "weights has {} entries; the comparison has {} features ({})",
                m.weights.len(),
                FEATURES.len(),
                FEATURES.join(", ")
            );
        }
        if !(m.review_floor < m.auto_merge && m.auto_merge <= 1.0 && m.review_floor >= 0.0) {
            bail!(
                "thresholds must satisfy 0 <= review_floor < auto_merge <= 1 (got {} and {})",
                m.review_floor,
                m.auto_merge
            );
        }
        Ok(m)
    }

    /// Probability that the pair is one firm.
    pub fn probability(&self, features: &[f64]) -> f64 {
        let z: f64 = self.weights.iter().zip(features).map(|(w, x)| w * x).sum();
        sigmoid(z)
    }

    /// Fills in `e.score`.
    pub fn score(&self, e: &mut PairEvidence) {
        e.score = self.probability(&e.features);
    }

    /// This model refitted on labelled examples (features, 1.0 = same firm).
    pub fn fitted(&self, examples: &[(Vec<f64>, f64)]) -> Model {
        self.fitted_for(examples, 300)
    }

    /// [`Model::fitted`] with a given number of gradient steps (calibration
    /// on many examples wants more).
    pub fn fitted_for(&self, examples: &[(Vec<f64>, f64)], steps: usize) -> Model {
        let usable: Vec<&(Vec<f64>, f64)> = examples
            .iter()
            .filter(|(x, _)| x.len() == self.weights.len())
            .collect();
        if usable.is_empty() {
            return self.clone();
        }
        let prior = self.weights.clone();
        let mut w = prior.clone();
        let n = usable.len() as f64;
        let rate = 0.5;
        for _ in 0..steps {
            let mut grad = vec![0.0; w.len()];
            for (x, y) in &usable {
                let p = sigmoid(w.iter().zip(x.iter()).map(|(a, b)| a * b).sum());
                for (g, xi) in grad.iter_mut().zip(x.iter()) {
                    *g += (p - y) * xi / n;
                }
            }
            for ((wi, g), pi) in w.iter_mut().zip(&grad).zip(&prior) {
                *wi -= rate * (g + self.l2 / n * (*wi - pi));
            }
        }
        Model {
            weights: w,
            ..self.clone()
        }
    }

    /// This model refitted on the analyst's standing answers.
    pub fn learned(&self, decisions: &[DecisionRow]) -> Model {
        let examples: Vec<(Vec<f64>, f64)> = decisions
            .iter()
            .filter_map(|d| match d.decision {
                DecisionKind::Merge => Some((d.features.clone(), 1.0)),
                DecisionKind::KeepApart => Some((d.features.clone(), 0.0)),
                DecisionKind::Skip => None,
            })
            .collect();
        self.fitted(&examples)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_parses_and_orders_obvious_cases() {
        let m = Model::shipped().unwrap();
        // bias, overlap, jw, domain, phone, city, state, postal, street, unshared, same_key,
        // compact, ambiguous, clean_same
        let same = [
            1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0,
        ];
        let twin = [
            1.0, 0.5, 0.8, -1.0, -1.0, -1.0, -1.0, -1.0, -0.5, 0.9, 0.0, 0.6, 1.0, 0.0,
        ];
        assert!(m.probability(&same) >= m.auto_merge);
        assert!(m.probability(&twin) < m.review_floor);
    }

    #[test]
    fn bad_models_are_refused_with_the_reason() {
        let err = Model::parse(
            "weights = [1.0]\nauto_merge = 0.9\nreview_floor = 0.2\ncluster_floor = 0.5\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("features"), "{err}");
        let w = vec!["0.0"; FEATURES.len()].join(", ");
        let err = Model::parse(&format!(
            "weights = [{w}]\nauto_merge = 0.2\nreview_floor = 0.9\ncluster_floor = 0.5\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("review_floor"), "{err}");
    }

    #[test]
    fn answers_move_the_weights_their_way() {
        let m = Model::shipped().unwrap();
        // Same name, same city, nothing else known: the analyst keeps such
        // pairs apart again and again.
        let pattern = vec![
            1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0,
        ];
        let before = m.probability(&pattern);
        let examples: Vec<(Vec<f64>, f64)> = (0..20).map(|_| (pattern.clone(), 0.0)).collect();
        let after = m.fitted(&examples).probability(&pattern);
        assert!(after < before - 0.1, "{before} -> {after}");
        // Merges push the other way.
        let examples: Vec<(Vec<f64>, f64)> = (0..20).map(|_| (pattern.clone(), 1.0)).collect();
        assert!(m.fitted(&examples).probability(&pattern) > before);
        // Vectors of another length (an older feature set) are ignored.
        assert_eq!(m.fitted(&[(vec![1.0], 0.0)]), m);
    }
}
