/* photofetch.c: the TUI's photo connection: a worker (worker.c) of its
 * own running media.get and media.upload. */
#include <stdlib.h>
#include <string.h>

#include "photofetch.h"
#include "photoview.h"
#include "worker.h"

enum { FETCH_GET = 1, FETCH_UPLOAD = 2 };

/* What a job of this connection is for (the job's ctx). */
struct fetch_ctx {
	int kind;
	int64_t media_id;
	bool thumb;
};

static bool set_ctx(struct job *j, int kind, int64_t media_id, bool thumb)
{
	struct fetch_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		return false;
	*c = (struct fetch_ctx){kind, media_id, thumb};
	j->ctx = c;
	return true;
}

static struct {
	struct worker *w;
	upload_done_fn upload_done;
	void *upload_ctx;
	bool uploading;
} pf;

int photofetch_start(const char *url, int timeout_ms, const struct ag_tls *tls)
{
	struct ag_client *client = NULL;
	if (ag_client_open_background(&client, url, timeout_ms, tls) != 0)
		return -1;
	if (worker_start(&pf.w, client) != 0) {
		ag_client_close(client);
		return -1;
	}
	return 0;
}

void photofetch_stop(void)
{
	if (pf.w)
		worker_stop(pf.w);
	memset(&pf, 0, sizeof pf);
}

int photofetch_fd(void)
{
	return pf.w ? worker_fd(pf.w) : -1;
}

static void submit(struct job *j, const char *token)
{
	if (token && token[0])
		j->auth = strdup(token);
	worker_submit(pf.w, j);
}

void photofetch_get(const char *token, int64_t media_id, bool thumb)
{
	if (pf.w == NULL) {
		photoview_arrived(media_id, thumb, NULL, 0);
		return;
	}
	struct job *j = job_new("media.get");
	job_int(j, "media_id", media_id);
	job_str(j, "size", thumb ? "thumb" : "full");
	if (!set_ctx(j, FETCH_GET, media_id, thumb)) {
		job_free(j);
		photoview_arrived(media_id, thumb, NULL, 0);
		return;
	}
	submit(j, token);
}

bool photofetch_upload(const char *token, const void *data, size_t len, upload_done_fn done,
	void *ctx)
{
	if (pf.w == NULL || pf.uploading)
		return false;
	struct job *j = job_new("media.upload");
	if (ag_req_set_bin(&j->req, "data", data, len) != AG_OK || !set_ctx(j, FETCH_UPLOAD, 0,
			false)) {
		job_free(j);
		return false;
	}
	pf.upload_done = done;
	pf.upload_ctx = ctx;
	pf.uploading = true;
	submit(j, token);
	return true;
}

void photofetch_cancel_upload(void)
{
	pf.upload_done = NULL;
	pf.upload_ctx = NULL;
}

static void finish_get(struct job *j, const struct fetch_ctx *c)
{
	const msgpack_object *data = NULL;
	if (j->rv == 0 && j->reply.ok)
		data = ag_obj_get(j->reply.data, "data");
	if (data && data->type == MSGPACK_OBJECT_BIN)
		photoview_arrived(c->media_id, c->thumb, data->via.bin.ptr, data->via.bin.size);
	else
		photoview_arrived(c->media_id, c->thumb, NULL, 0);
}

static void finish_upload(struct job *j)
{
	pf.uploading = false;
	upload_done_fn done = pf.upload_done;
	pf.upload_done = NULL;
	if (done == NULL)
		return;
	if (j->rv != 0) {
		done(pf.upload_ctx, NULL, "the server did not answer; try again");
		return;
	}
	if (!j->reply.ok) {
		done(pf.upload_ctx, NULL, j->reply.message[0] ? j->reply.message : j->reply.code_name);
		return;
	}
	const msgpack_object *o = j->reply.data, *thumb = ag_obj_get(o, "thumb");
	struct media_ref m = {
		.id = ag_obj_int(o, "id"),
		.width = (int)ag_obj_int(o, "width"),
		.height = (int)ag_obj_int(o, "height"),
		.thumb_w = thumb ? (int)ag_obj_int(thumb, "width") : 0,
		.thumb_h = thumb ? (int)ag_obj_int(thumb, "height") : 0,
	};
	if (m.id <= 0 || m.width <= 0 || m.height <= 0 || m.thumb_w <= 0 || m.thumb_h <= 0)
		done(pf.upload_ctx, NULL, "the server's answer had no photo in it");
	else
		done(pf.upload_ctx, &m, NULL);
}

bool photofetch_drain(void)
{
	if (pf.w == NULL)
		return false;
	bool any = false;
	struct job *j;
	while ((j = worker_take(pf.w)) != NULL) {
		const struct fetch_ctx *c = j->ctx;
		if (c && c->kind == FETCH_GET)
			finish_get(j, c);
		else if (c && c->kind == FETCH_UPLOAD)
			finish_upload(j);
		job_free(j);
		any = true;
	}
	return any;
}
