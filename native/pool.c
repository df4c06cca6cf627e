#include "pool.h"

#include <pthread.h>
#include <uv.h>

static int started; /* the pool is process-wide: so is the memory of having started it */

static void nothing(uv_work_t *req) { (void)req; }

static void start(void) {
  uv_loop_t loop;
  uv_work_t req;
  int r = uv_loop_init(&loop);
  if (r < 0) {
    started = r;
    return;
  }
  r = uv_queue_work(&loop, &req, nothing, NULL); /* libuv starts all its pool threads here */
  if (r == 0) uv_run(&loop, UV_RUN_DEFAULT);     /* returns once the no-op is done */
  int closed = uv_loop_close(&loop);
  started = r < 0 ? r : closed;
}

int nsb_start_pool(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, start);
  return started;
}
