-- Per-domain daily request budget (the runbook's daily caps) and the
-- robots.txt cache age, kept with the gatekeeper's verdict.
ALTER TABLE domain_access ADD COLUMN budget_day TEXT;
ALTER TABLE domain_access ADD COLUMN requests_today INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_access ADD COLUMN robots_fetched_at TEXT;
-- Redirect chain and the rule/evidence that decided a URL's fate.
ALTER TABLE url_queue ADD COLUMN redirected_to TEXT;
