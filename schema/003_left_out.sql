-- Nodes a run left out on purpose (netctl check --node-selector, --exclude-node,
-- --tolerations, and NetDoctor's kosmos.io/exclude label): no floater, no pair. Kept apart
-- from run_nodes, whose rows are the nodes a run probed, so that resume and diff can tell
-- a node that was not selected from one that is gone.
-- reason: 1 labelled kosmos.io/exclude, 2 --exclude-node, 3 not matching --node-selector,
-- 4 a NoSchedule/NoExecute taint the floaters do not tolerate.
CREATE TABLE run_left_out (
	run_id INTEGER NOT NULL REFERENCES runs(id),
	node_id INTEGER NOT NULL REFERENCES nodes(id),
	reason INTEGER NOT NULL,
	detail TEXT, -- the label's value, the taint ("key=value:NoSchedule"), or NULL
	PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;
