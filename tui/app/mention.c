/* mention.c: Tab completion of an @name in a text field (the post
 * composer, the comment line, the message line): Tab after "@na" asks the
 * server who is called "na…" (a search.users view); once it answers, one
 * person completes the name, several complete what they share and are
 * listed for the screen to show. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

bool mention_key(struct mention *mc, struct model *m, struct editor *e, const struct key *k)
{
	if (k->paste || k->code != 0 || k->ch != '\t')
		return false;
	size_t n = ed_word_before(e, '@');
	if (n == 0 || n >= sizeof mc->completing)
		return false;
	snprintf(mc->completing, sizeof mc->completing, "%.*s", (int)n, ed_text(e) + e->cur - n);
	mc->candidates[0] = '\0';
	if (mc->users == NULL)
		mc->users = model_view_open(m, SRC_SEARCH_USERS, 0, mc->completing);
	else
		model_view_query(m, mc->users, mc->completing);
	return true;
}

bool mention_finish(struct mention *mc, struct editor *e)
{
	struct view *v = mc->users;
	if (mc->completing[0] == '\0' || v == NULL || v->loading || !v->loaded || v->text == NULL ||
	    strcmp(v->text, mc->completing) != 0)
		return false;
	size_t plen = strlen(mc->completing);
	const char *before = ed_text(e) + e->cur - plen;
	if (ed_word_before(e, '@') != plen || strncmp(before, mc->completing, plen) != 0) {
		mc->completing[0] = '\0';     /* typed on meanwhile */
		return false;
	}
	const char *first = NULL;
	size_t common = 0, count = 0, used = 0;
	for (size_t i = 0; i < v->n; i++) {
		const char *name = ((const struct user *)v->items[i])->username;
		if (name == NULL || strncasecmp(name, mc->completing, plen) != 0)
			continue;
		if (first == NULL) {
			first = name;
			common = strlen(name);
		}
		size_t k = 0;
		while (k < common && name[k] && strncasecmp(name + k, first + k, 1) == 0)
			k++;
		common = k;
		if (used + strlen(name) + 3 < sizeof mc->candidates)
			used += (size_t)snprintf(mc->candidates + used, sizeof mc->candidates - used,
				"%s@%s", used ? " " : "", name);
		count++;
	}
	if (v->error[0])
		snprintf(mc->candidates, sizeof mc->candidates, "%s", v->error);
	else if (count == 0)
		snprintf(mc->candidates, sizeof mc->candidates, "No one called @%s…", mc->completing);
	char rest[64];
	snprintf(rest, sizeof rest, "%.*s%s", (int)(common > plen ? common - plen : 0),
		first ? first + plen : "", count == 1 ? " " : "");
	bool changed = count >= 1 && rest[0] && ed_insert(e, rest);
	if (count == 1)
		mc->candidates[0] = '\0';
	mc->completing[0] = '\0';
	return changed;
}

void mention_free(struct mention *mc, struct model *m)
{
	model_view_close(m, mc->users);
	mc->users = NULL;
}
