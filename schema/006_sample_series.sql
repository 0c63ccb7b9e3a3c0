-- Sampling (netctl check --sample K, docs/usage.md "Sampling"): the rotation round of each
-- sampling series. A series is what a sampled run probes: its clusters and their roles,
-- protocols, families, networks and K (the text in `key`). Each sampled check takes the
-- next round of its series; ceil(N/K) consecutive rounds probe every pair once. Kept apart
-- from runs so that retention (history --prune, watch) never resets a rotation.
CREATE TABLE sample_series (
	key TEXT PRIMARY KEY,
	rounds INTEGER NOT NULL -- rounds taken so far: the next run takes round `rounds`
) WITHOUT ROWID;
