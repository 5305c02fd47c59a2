-- The review pane asks for the most uncertain pending pair on every decision:
-- this index answers `ORDER BY abs(score - 0.5), id` for pending pairs
-- without sorting the queue.
CREATE INDEX IF NOT EXISTS merge_candidates_uncertainty
    ON merge_candidates(status, abs(score - 0.5), id);
