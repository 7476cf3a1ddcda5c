// membrane's bridge to the kernel's BPF syscalls: a plain-C N-API addon over libbpf.
// Loads BPF objects (pinning their maps), reads and writes map entries, and runs programs through
// BPF_PROG_TEST_RUN. Failures throw an Error whose `code` is the errno name and whose `syscall`
// names the libbpf call, so the TypeScript side turns them into values.
#define _GNU_SOURCE  // strerrorname_np
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(env, call)                                                                          \
  do {                                                                                            \
    if ((call) != napi_ok) {                                                                      \
      napi_throw_error((env), NULL, "membrane_bpf: N-API call failed: " #call);                 \
      return NULL;                                                                                \
    }                                                                                             \
  } while (0)

// Sets obj[name] to an unsigned 32-bit number.
static napi_status set_uint32(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  napi_status status = napi_create_uint32(env, value, &v);
  return status == napi_ok ? napi_set_named_property(env, obj, name, v) : status;
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  if (err < 0) err = -err;
  char message[256];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_value msg, error, code, sys;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "code", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

// The one argument of a call taking just an fd; -1 with `usage` thrown as a TypeError otherwise.
static int only_fd_arg(napi_env env, napi_callback_info info, const char *usage, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || arg_int(env, argv[0], fd)) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return 0;
}

static int arg_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return -1;
  return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
}

static int arg_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len;
  return napi_get_value_string_utf8(env, v, out, size, &len) == napi_ok && len < size - 1 ? 0 : -1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args) {
  // libbpf reports errors (with the verifier's log) at WARN; its INFO and DEBUG lines would flood the output.
  if (level != LIBBPF_WARN) return 0;
  return vfprintf(stderr, fmt, args);
}

static void free_object(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  bpf_object__close((struct bpf_object *)data);
}

// loadObject(path, pinDir) → { handle, programs: {name: fd}, maps: {name: fd} }
// Reusing pins is how map contents survive agent restarts and program upgrades.
static napi_value load_object(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096], pin_dir[3840];
  if (argc < 2 || arg_string(env, argv[0], path, sizeof path) || arg_string(env, argv[1], pin_dir, sizeof pin_dir)) {
    napi_throw_type_error(env, NULL, "loadObject(path: string, pinDir: string)");
    return NULL;
  }
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return throw_errno(env, "bpf_object__open_file", errno);
  // Every map is pinned as pinDir/<name> (set here rather than by LIBBPF_PIN_BY_NAME in each map
  // definition); libbpf reuses a compatible existing pin instead of creating the map again. A map
  // named *_cache holds nothing a later load needs (and a pin would tie its layout down): unpinned.
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    const char *name = bpf_map__name(map);
    size_t n = strlen(name);
    if (n >= 6 && strcmp(name + n - 6, "_cache") == 0) continue;
    char pin[4096];
    snprintf(pin, sizeof pin, "%s/%s", pin_dir, name);
    int err = bpf_map__set_pin_path(map, pin);
    if (err) {
      bpf_object__close(obj);
      return throw_errno(env, "bpf_map__set_pin_path", err);
    }
  }
  int err = bpf_object__load(obj);
  if (err) {
    bpf_object__close(obj);
    return throw_errno(env, "bpf_object__load", err);
  }
  napi_value result, programs, maps, handle;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_object(env, &programs));
  CHECK(env, napi_create_object(env, &maps));
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    napi_value fd;
    CHECK(env, napi_create_int32(env, bpf_program__fd(prog), &fd));
    CHECK(env, napi_set_named_property(env, programs, bpf_program__name(prog), fd));
  }
  bpf_object__for_each_map(map, obj) {
    napi_value fd;
    CHECK(env, napi_create_int32(env, bpf_map__fd(map), &fd));
    CHECK(env, napi_set_named_property(env, maps, bpf_map__name(map), fd));
  }
  CHECK(env, napi_create_external(env, obj, free_object, NULL, &handle));
  CHECK(env, napi_set_named_property(env, result, "handle", handle));
  CHECK(env, napi_set_named_property(env, result, "programs", programs));
  CHECK(env, napi_set_named_property(env, result, "maps", maps));
  return result;
}

// mapUpdate(fd, key, value, flags) → undefined
static napi_value map_update(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, flags;
  void *key, *value;
  size_t klen, vlen;
  if (argc < 4 || arg_int(env, argv[0], &fd) || arg_buffer(env, argv[1], &key, &klen) ||
      arg_buffer(env, argv[2], &value, &vlen) || arg_int(env, argv[3], &flags)) {
    napi_throw_type_error(env, NULL, "mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number)");
    return NULL;
  }
  if (bpf_map_update_elem(fd, key, value, (__u64)flags)) return throw_errno(env, "bpf_map_update_elem", errno);
  return NULL;
}

// mapLookup(fd, key, valueSize) → Buffer | null
static napi_value map_lookup(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, size;
  void *key;
  size_t klen;
  if (argc < 3 || arg_int(env, argv[0], &fd) || arg_buffer(env, argv[1], &key, &klen) || arg_int(env, argv[2], &size) ||
      size <= 0) {
    napi_throw_type_error(env, NULL, "mapLookup(fd: number, key: Buffer, valueSize: number)");
    return NULL;
  }
  void *data;
  napi_value out;
  CHECK(env, napi_create_buffer(env, (size_t)size, &data, &out));
  if (bpf_map_lookup_elem(fd, key, data)) {
    if (errno == ENOENT) {
      napi_value nul;
      CHECK(env, napi_get_null(env, &nul));
      return nul;
    }
    return throw_errno(env, "bpf_map_lookup_elem", errno);
  }
  return out;
}

// mapDelete(fd, key) → boolean (false when the key was absent)
static napi_value map_delete(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *key;
  size_t klen;
  if (argc < 2 || arg_int(env, argv[0], &fd) || arg_buffer(env, argv[1], &key, &klen)) {
    napi_throw_type_error(env, NULL, "mapDelete(fd: number, key: Buffer)");
    return NULL;
  }
  napi_value result;
  if (bpf_map_delete_elem(fd, key)) {
    if (errno != ENOENT) return throw_errno(env, "bpf_map_delete_elem", errno);
    CHECK(env, napi_get_boolean(env, false, &result));
  } else {
    CHECK(env, napi_get_boolean(env, true, &result));
  }
  return result;
}

// testRun(fd, packet, ifindex, mark, repeat) → { retval, data, mark, durationNs }: BPF_PROG_TEST_RUN
// with the packet as the skb's data, arriving on `ifindex` (0: loopback) with `mark`, run `repeat`
// times on the same skb; `mark` out is the skb's mark after, `durationNs` the kernel's mean time a run.
static napi_value test_run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, ifindex, mark, repeat;
  void *packet;
  size_t len;
  if (argc < 5 || arg_int(env, argv[0], &fd) || arg_buffer(env, argv[1], &packet, &len) || arg_int(env, argv[2], &ifindex) ||
      arg_int(env, argv[3], &mark) || arg_int(env, argv[4], &repeat) || repeat < 1) {
    napi_throw_type_error(env, NULL, "testRun(fd: number, packet: Buffer, ifindex: number, mark: number, repeat: number >= 1)");
    return NULL;
  }
  size_t cap = len + 256;  // room for programs that grow the packet (encapsulation)
  void *out = malloc(cap);
  if (!out) return throw_errno(env, "malloc", ENOMEM);
  struct __sk_buff ctx = {.ifindex = (__u32)ifindex, .mark = (__u32)mark};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = (__u32)len, .data_out = out,
              .data_size_out = (__u32)cap, .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .ctx_out = &ctx,
              .ctx_size_out = sizeof ctx, .repeat = (int)repeat);
  if (bpf_prog_test_run_opts(fd, &opts)) {
    int err = errno;
    free(out);
    return throw_errno(env, "bpf_prog_test_run_opts", err);
  }
  napi_value result, retval, data;
  napi_status s1 = napi_create_object(env, &result);
  napi_status s2 = napi_create_int64(env, (int64_t)(int32_t)opts.retval, &retval);
  napi_status s3 = napi_create_buffer_copy(env, opts.data_size_out, out, NULL, &data);
  free(out);
  if (s1 != napi_ok || s2 != napi_ok || s3 != napi_ok) {
    napi_throw_error(env, NULL, "membrane_bpf: cannot build the test-run result");
    return NULL;
  }
  CHECK(env, napi_set_named_property(env, result, "retval", retval));
  CHECK(env, napi_set_named_property(env, result, "data", data));
  CHECK(env, set_uint32(env, result, "mark", ctx.mark));
  CHECK(env, set_uint32(env, result, "durationNs", opts.duration));
  return result;
}

// mapNextKey(fd, key | null, keySize) → Buffer | null: the key after `key` (the first for null),
// null at the end. How the agent walks a map (conntrack garbage collection, dumps).
static napi_value map_next_key(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, size;
  void *key = NULL;
  size_t klen;
  napi_valuetype type;
  if (argc < 3 || arg_int(env, argv[0], &fd) || napi_typeof(env, argv[1], &type) != napi_ok ||
      (type != napi_null && arg_buffer(env, argv[1], &key, &klen)) || arg_int(env, argv[2], &size) || size <= 0) {
    napi_throw_type_error(env, NULL, "mapNextKey(fd: number, key: Buffer | null, keySize: number)");
    return NULL;
  }
  void *data;
  napi_value out;
  CHECK(env, napi_create_buffer(env, (size_t)size, &data, &out));
  if (bpf_map_get_next_key(fd, key, data)) {
    if (errno != ENOENT) return throw_errno(env, "bpf_map_get_next_key", errno);
    CHECK(env, napi_get_null(env, &out));
  }
  return out;
}

// possibleCpus() → number: how many values a per-CPU map lookup returns.
static napi_value possible_cpus(napi_env env, napi_callback_info info) {
  (void)info;
  int n = libbpf_num_possible_cpus();
  if (n < 0) return throw_errno(env, "libbpf_num_possible_cpus", n);
  napi_value out;
  CHECK(env, napi_create_int32(env, n, &out));
  return out;
}

// pinProgram(fd, path) → undefined: pins a loaded program (tc attaches it with `object-pinned`).
static napi_value pin_program(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  char path[4096];
  if (argc < 2 || arg_int(env, argv[0], &fd) || arg_string(env, argv[1], path, sizeof path)) {
    napi_throw_type_error(env, NULL, "pinProgram(fd: number, path: string)");
    return NULL;
  }
  if (bpf_obj_pin(fd, path)) return throw_errno(env, "bpf_obj_pin", errno);
  return NULL;
}

// openPinned(path) → fd: a pinned map or program, opened (bpf_obj_get); the caller closes the fd.
static napi_value open_pinned(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  if (argc < 1 || arg_string(env, argv[0], path, sizeof path)) {
    napi_throw_type_error(env, NULL, "openPinned(path: string)");
    return NULL;
  }
  int fd = bpf_obj_get(path);
  if (fd < 0) return throw_errno(env, "bpf_obj_get", errno);
  napi_value out;
  CHECK(env, napi_create_int32(env, fd, &out));
  return out;
}

// mapInfo(fd) → { type, keySize, valueSize, maxEntries }: what the kernel says a map fd is.
static napi_value map_info(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (only_fd_arg(env, info, "mapInfo(fd: number)", &fd)) return NULL;
  struct bpf_map_info m = {0};
  __u32 len = sizeof m;
  if (bpf_obj_get_info_by_fd(fd, &m, &len)) return throw_errno(env, "bpf_obj_get_info_by_fd", errno);
  napi_value out;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, set_uint32(env, out, "type", m.type));
  CHECK(env, set_uint32(env, out, "keySize", m.key_size));
  CHECK(env, set_uint32(env, out, "valueSize", m.value_size));
  CHECK(env, set_uint32(env, out, "maxEntries", m.max_entries));
  return out;
}

// ------------------------------------------------------------------ ring buffer

// A ring buffer reader: samples are collected into a JS array during one consume, then either
// returned (consume) or passed to the watcher's callback (one batch per wakeup of the event loop).
struct ring {
  struct ring_buffer *rb;
  napi_env env;
  napi_value batch;   // valid only during a consume
  uint32_t count;
  int failed;
  uv_poll_t poll;
  napi_ref callback;  // set while watched
  int polling;
};

static int ring_sample(void *ctx, void *data, size_t size) {
  struct ring *r = ctx;
  napi_value buf;
  if (napi_create_buffer_copy(r->env, size, data, NULL, &buf) != napi_ok ||
      napi_set_element(r->env, r->batch, r->count++, buf) != napi_ok) {
    r->failed = 1;
    return -1;
  }
  return 0;
}

// Drains the ring into a new array; NULL with an exception pending on failure.
static napi_value ring_drain(napi_env env, struct ring *r) {
  napi_value batch;
  CHECK(env, napi_create_array(env, &batch));
  r->env = env;
  r->batch = batch;
  r->count = 0;
  r->failed = 0;
  int n = ring_buffer__consume(r->rb);
  if (r->failed) {
    napi_throw_error(env, NULL, "membrane_bpf: cannot copy a ring buffer sample");
    return NULL;
  }
  if (n < 0) return throw_errno(env, "ring_buffer__consume", n);
  return batch;
}

static void ring_closed(uv_handle_t *h) { free(h->data); }

static void free_ring(napi_env env, void *data, void *hint) {
  (void)hint;
  struct ring *r = data;
  ring_buffer__free(r->rb);
  if (r->callback) napi_delete_reference(env, r->callback);
  if (r->polling) {
    r->poll.data = r;
    uv_close((uv_handle_t *)&r->poll, ring_closed);  // freed once libuv lets go of the handle
  } else {
    free(r);
  }
}

static int arg_ring(napi_env env, napi_value v, struct ring **out) {
  return napi_get_value_external(env, v, (void **)out) == napi_ok && *out ? 0 : -1;
}

// ringbufOpen(mapFd) → handle
static napi_value ringbuf_open(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (only_fd_arg(env, info, "ringbufOpen(fd: number)", &fd)) return NULL;
  struct ring *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "calloc", ENOMEM);
  r->rb = ring_buffer__new(fd, ring_sample, r, NULL);
  if (!r->rb) {
    int err = errno;
    free(r);
    return throw_errno(env, "ring_buffer__new", err);
  }
  napi_value handle;
  CHECK(env, napi_create_external(env, r, free_ring, NULL, &handle));
  return handle;
}

// ringbufConsume(handle) → Buffer[]: every sample waiting now (never blocks).
static napi_value ringbuf_consume(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct ring *r;
  if (argc < 1 || arg_ring(env, argv[0], &r)) {
    napi_throw_type_error(env, NULL, "ringbufConsume(handle)");
    return NULL;
  }
  return ring_drain(env, r);
}

static void ring_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  struct ring *r = poll->data;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (status < 0 || napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value batch = ring_drain(env, r), callback, global;
  if (batch && napi_get_reference_value(env, r->callback, &callback) == napi_ok && callback &&
      napi_get_global(env, &global) == napi_ok)
    napi_make_callback(env, NULL, global, callback, 1, &batch, NULL);
  bool pending;
  napi_value error;
  // A throwing callback (or a failed drain) becomes an uncaught exception, as in any event-loop callback.
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &error) == napi_ok)
    napi_fatal_exception(env, error);
  napi_close_handle_scope(env, scope);
}

// ringbufWatch(handle, callback) → undefined: calls callback(Buffer[]) each time samples arrive,
// from the event loop (uv_poll on the ring's epoll fd); ringbufWatch(handle, null) stops.
static napi_value ringbuf_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct ring *r;
  napi_valuetype type;
  if (argc < 2 || arg_ring(env, argv[0], &r) || napi_typeof(env, argv[1], &type) != napi_ok ||
      (type != napi_function && type != napi_null)) {
    napi_throw_type_error(env, NULL, "ringbufWatch(handle, callback: ((samples: Buffer[]) => void) | null)");
    return NULL;
  }
  if (r->callback) {
    napi_delete_reference(env, r->callback);
    r->callback = NULL;
  }
  if (type == napi_null) {
    if (r->polling) uv_poll_stop(&r->poll);
    return NULL;
  }
  CHECK(env, napi_create_reference(env, argv[1], 1, &r->callback));
  r->env = env;
  if (!r->polling) {
    struct uv_loop_s *loop;
    CHECK(env, napi_get_uv_event_loop(env, &loop));
    int err = uv_poll_init(loop, &r->poll, ring_buffer__epoll_fd(r->rb));
    if (err) return throw_errno(env, "uv_poll_init", err);
    r->poll.data = r;
    r->polling = 1;
  }
  int err = uv_poll_start(&r->poll, UV_READABLE, ring_readable);
  if (err) return throw_errno(env, "uv_poll_start", err);
  return NULL;
}

// ------------------------------------------------------------------ sockets
// What Node's net module cannot do and the L7 path needs (datapath-notes.md §6): a socket made in
// another network namespace (a lab node's), IP_TRANSPARENT on the proxy's listener, SO_MARK on its
// upstream sockets.

// socketIn(netnsPath | null, family 4|6, stream) → fd: a non-blocking socket created in the network
// namespace at netnsPath (null: this thread's own). setns moves only the calling thread, and only
// for the duration of socket(): a socket keeps the namespace it was made in.
static napi_value socket_in(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  napi_valuetype type;
  int32_t family;
  bool stream;
  if (argc < 3 || napi_typeof(env, argv[0], &type) != napi_ok || (type != napi_null && arg_string(env, argv[0], path, sizeof path)) ||
      arg_int(env, argv[1], &family) || (family != 4 && family != 6) || napi_get_value_bool(env, argv[2], &stream) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketIn(netnsPath: string | null, family: 4 | 6, stream: boolean)");
    return NULL;
  }
  int own = -1, target = -1;
  if (type != napi_null) {
    own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) return throw_errno(env, "open /proc/thread-self/ns/net", errno);
    target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0 || setns(target, CLONE_NEWNET)) {
      int e = errno;
      if (target >= 0) close(target);
      close(own);
      return throw_errno(env, target < 0 ? "open netns" : "setns", e);
    }
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int made = errno;
  if (own >= 0) {
    int back = setns(own, CLONE_NEWNET);
    close(own);
    close(target);
    if (back) {
      // The thread is stuck in the other namespace: nothing it does next would be where it thinks.
      fprintf(stderr, "membrane_bpf: cannot return to the original network namespace: %s\n", strerror(errno));
      abort();
    }
  }
  if (fd < 0) return throw_errno(env, "socket", made);
  napi_value out;
  CHECK(env, napi_create_int32(env, fd, &out));
  return out;
}

// setSockOpt(fd, level, name, value) → undefined: an integer socket option.
static napi_value set_sock_opt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, level, name, value;
  if (argc < 4 || arg_int(env, argv[0], &fd) || arg_int(env, argv[1], &level) || arg_int(env, argv[2], &name) ||
      arg_int(env, argv[3], &value)) {
    napi_throw_type_error(env, NULL, "setSockOpt(fd: number, level: number, name: number, value: number)");
    return NULL;
  }
  if (setsockopt(fd, level, name, &value, sizeof value)) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

// bindSocket(fd, ip, port) → undefined: binds to an IPv4 or IPv6 address.
static napi_value bind_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, port;
  char ip[64];
  if (argc < 3 || arg_int(env, argv[0], &fd) || arg_string(env, argv[1], ip, sizeof ip) || arg_int(env, argv[2], &port) || port < 0 ||
      port > 65535) {
    napi_throw_type_error(env, NULL, "bindSocket(fd: number, ip: string, port: number)");
    return NULL;
  }
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  int r;
  if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1)
    r = bind(fd, (struct sockaddr *)&a4, sizeof a4);
  else if (inet_pton(AF_INET6, ip, &a6.sin6_addr) == 1)
    r = bind(fd, (struct sockaddr *)&a6, sizeof a6);
  else {
    napi_throw_type_error(env, NULL, "bindSocket: not an IP address");
    return NULL;
  }
  if (r) return throw_errno(env, "bind", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  libbpf_set_print(quiet_print);
  napi_property_descriptor props[] = {
      {"loadObject", NULL, load_object, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapUpdate", NULL, map_update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapLookup", NULL, map_lookup, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapDelete", NULL, map_delete, NULL, NULL, NULL, napi_enumerable, NULL},
      {"testRun", NULL, test_run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapNextKey", NULL, map_next_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"possibleCpus", NULL, possible_cpus, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pinProgram", NULL, pin_program, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPinned", NULL, open_pinned, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapInfo", NULL, map_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringbufOpen", NULL, ringbuf_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringbufConsume", NULL, ringbuf_consume, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringbufWatch", NULL, ringbuf_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketIn", NULL, socket_in, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSockOpt", NULL, set_sock_opt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindSocket", NULL, bind_socket, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(membrane_bpf, init)
