-- The Node's Ready condition when the run listed it: 0 for a NotReady node, whose pairs
-- the verdicts then blame on the node rather than on a missing floater. Independent of
-- run_nodes.floater (a NotReady node's floater may still answer).
ALTER TABLE run_nodes ADD COLUMN node_ready INTEGER NOT NULL DEFAULT 1;
-- Runs recorded before this version named their NotReady nodes in the options JSON
-- ("nodes_not_ready": ["cluster/node", ...]): carried over, so their verdicts stay.
UPDATE run_nodes SET node_ready = 0 WHERE EXISTS (
	SELECT 1 FROM runs r
	JOIN nodes n ON n.id = run_nodes.node_id
	JOIN clusters c ON c.id = n.cluster_id,
	json_each(CASE WHEN json_valid(r.options) THEN r.options ELSE '{}' END,
		  '$.nodes_not_ready') j
	WHERE r.id = run_nodes.run_id AND j.type = 'text' AND j.value = c.name || '/' || n.name);
