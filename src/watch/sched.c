/* When the next check of `netctl watch` is due: full checks every interval, never two at
 * once, rechecks of what failed in between. */
#include "watch.h"

void watch_sched_init(struct watch_sched *s, int64_t every_us, int64_t recheck_us, int64_t now_us)
{
	s->every_us = every_us;
	s->recheck_us = recheck_us;
	s->next_full_us = now_us;
	s->next_recheck_us = 0;
	s->rechecks = 0;
}

int64_t watch_sched_next(const struct watch_sched *s, enum watch_job *job)
{
	if (s->next_recheck_us && s->next_recheck_us < s->next_full_us) {
		*job = WATCH_RECHECK;
		return s->next_recheck_us;
	}
	*job = WATCH_FULL;
	return s->next_full_us;
}

static void plan_recheck(struct watch_sched *s, int64_t end_us, int64_t failing)
{
	int64_t at = end_us + s->recheck_us;

	s->next_recheck_us = 0;
	if (!s->recheck_us || failing <= 0 || s->rechecks >= WATCH_MAX_RECHECKS)
		return;
	/* a recheck that would start at or after the next full check is that check's work */
	if (at < s->next_full_us)
		s->next_recheck_us = at;
}

int64_t watch_sched_done(struct watch_sched *s, enum watch_job job, int64_t start_us,
			 int64_t end_us, int64_t failing)
{
	int64_t late = 0;

	if (job == WATCH_FULL) {
		s->next_full_us = start_us + s->every_us;
		s->rechecks = 0;
	} else {
		s->rechecks++;
	}
	if (end_us > s->next_full_us) {
		late = end_us - s->next_full_us;
		s->next_full_us = end_us;
	}
	plan_recheck(s, end_us, failing);
	return late;
}

void watch_sched_drop_recheck(struct watch_sched *s)
{
	s->next_recheck_us = 0;
}
