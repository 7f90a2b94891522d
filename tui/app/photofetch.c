/* photofetch.c: the TUI's photo connection: a worker (worker.c) of its
 * own running media.get and media.upload. */
#include <stdlib.h>
#include <string.h>

#include "photofetch.h"
#include "photoview.h"
#include "worker.h"

enum { FETCH_GET = 1, FETCH_UPLOAD = 2 };

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
	struct job *j = job_new("media.get", "media_id:i size:s", media_id,
		thumb ? "thumb" : "full");
	if (j == NULL) {
		photoview_arrived(media_id, thumb, NULL, 0);
		return;
	}
	j->kind = FETCH_GET;
	j->a = media_id;
	j->b = thumb;
	submit(j, token);
}

bool photofetch_upload(const char *token, const void *data, size_t len, upload_done_fn done,
	void *ctx)
{
	if (pf.w == NULL || pf.uploading)
		return false;
	struct job *j = job_new("media.upload", "");
	if (j == NULL)
		return false;
	/* One map {data: bin}, packed here: job_new's format has no bytes. */
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "data", 4);
	msgpack_pack_bin_with_body(&pk, data, len);
	free(j->args);
	j->args = sb.data;
	j->args_len = sb.size;
	job_set_idem(j);
	j->kind = FETCH_UPLOAD;
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

static void finish_get(struct job *j)
{
	const msgpack_object *data = NULL;
	if (j->rv == 0 && j->reply.ok)
		data = ag_obj_get(j->reply.data, "data");
	if (data && data->type == MSGPACK_OBJECT_BIN)
		photoview_arrived(j->a, j->b != 0, data->via.bin.ptr, data->via.bin.size);
	else
		photoview_arrived(j->a, j->b != 0, NULL, 0);
}

static void finish_upload(struct job *j)
{
	pf.uploading = false;
	upload_done_fn done = pf.upload_done;
	pf.upload_done = NULL;
	if (done == NULL)
		return;
	if (j->rv != 0)
		done(pf.upload_ctx, 0, "the server did not answer; try again");
	else if (!j->reply.ok)
		done(pf.upload_ctx, 0, j->reply.message[0] ? j->reply.message : j->reply.code_name);
	else
		done(pf.upload_ctx, ag_obj_int(j->reply.data, "id"), NULL);
}

bool photofetch_drain(void)
{
	if (pf.w == NULL)
		return false;
	bool any = false;
	struct job *j;
	while ((j = worker_take(pf.w)) != NULL) {
		if (j->kind == FETCH_GET)
			finish_get(j);
		else if (j->kind == FETCH_UPLOAD)
			finish_upload(j);
		job_free(j);
		any = true;
	}
	return any;
}
