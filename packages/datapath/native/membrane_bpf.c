// membrane's bridge to the kernel's BPF syscalls: a plain-C N-API addon over libbpf.
// Loads BPF objects (pinning their maps), reads and writes map entries, and runs programs through
// BPF_PROG_TEST_RUN. Failures throw an Error whose `code` is the errno name and whose `syscall`
// names the libbpf call, so the TypeScript side turns them into values.
#define _GNU_SOURCE  // strerrorname_np
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(env, call)                                                                          \
  do {                                                                                            \
    if ((call) != napi_ok) {                                                                      \
      napi_throw_error((env), NULL, "membrane_bpf: N-API call failed: " #call);                 \
      return NULL;                                                                                \
    }                                                                                             \
  } while (0)

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
  // definition); libbpf reuses a compatible existing pin instead of creating the map again.
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    char pin[4096];
    snprintf(pin, sizeof pin, "%s/%s", pin_dir, bpf_map__name(map));
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

// testRun(fd, packet) → { retval, data }: BPF_PROG_TEST_RUN with the packet as the skb's data.
static napi_value test_run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *packet;
  size_t len;
  if (argc < 2 || arg_int(env, argv[0], &fd) || arg_buffer(env, argv[1], &packet, &len)) {
    napi_throw_type_error(env, NULL, "testRun(fd: number, packet: Buffer)");
    return NULL;
  }
  size_t cap = len + 256;  // room for programs that grow the packet (encapsulation)
  void *out = malloc(cap);
  if (!out) return throw_errno(env, "malloc", ENOMEM);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = (__u32)len, .data_out = out,
              .data_size_out = (__u32)cap, .repeat = 1);
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
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  libbpf_set_print(quiet_print);
  napi_property_descriptor props[] = {
      {"loadObject", NULL, load_object, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapUpdate", NULL, map_update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapLookup", NULL, map_lookup, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapDelete", NULL, map_delete, NULL, NULL, NULL, napi_enumerable, NULL},
      {"testRun", NULL, test_run, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(membrane_bpf, init)
