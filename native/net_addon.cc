// N-API glue for networking inside namespaces: sockets made in a namespace
// (socket.c), rtnetlink requests (netlink.c) and name resolution on a thread of
// its own (lookup.c). Every argument is checked here, whatever the TypeScript
// layer did, and nothing is done after a failed conversion: a bad argument is
// a TypeError/RangeError, every other failure a negative errno for JS to turn
// into a NamespaceError.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>
#include <uv.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "addon.h"
#include "glue.h"
#include "lookup.h"
#include "netlink.h"
#include "socket.h"

namespace {

const char* const kSocketSteps[] = {"none", "clone", "setns:user", "setns:net", "socket"};
const char* const kLookupSteps[] = {"none", "setns:net", "getaddrinfo"};

// fd >= 0 as a number; a failure as [-errno, step name].
Napi::Value FdOrStep(napi_env env, int r, int step) {
  if (r >= 0) return glue::FdResult(env, r);
  return glue::Out::Array(env).Set(0u, r).Set(1u, glue::Str(env, kSocketSteps[step])).Value();
}

// A socket address: 2 to 128 bytes (struct sockaddr_storage).
bool SockaddrArg(const glue::Args& args, size_t i, const uint8_t** addr, size_t* len) {
  if (!args.Bytes(i, "address", addr, len)) return false;
  if (*len >= 2 && *len <= 128) return true;
  return glue::RangeError(args.env(), "address must be a socket address of 2 to 128 bytes");
}

// getaddrinfo's EAI_* codes as libuv numbers them (what Node's errors use).
int UvEai(int eai) {
  switch (eai) {
    case EAI_ADDRFAMILY:
      return UV_EAI_ADDRFAMILY;
    case EAI_AGAIN:
      return UV_EAI_AGAIN;
    case EAI_BADFLAGS:
      return UV_EAI_BADFLAGS;
    case EAI_FAIL:
      return UV_EAI_FAIL;
    case EAI_FAMILY:
      return UV_EAI_FAMILY;
    case EAI_MEMORY:
      return UV_EAI_MEMORY;
    case EAI_NODATA:
      return UV_EAI_NODATA;
    case EAI_NONAME:
      return UV_EAI_NONAME;
    case EAI_OVERFLOW:
      return UV_EAI_OVERFLOW;
    case EAI_SERVICE:
      return UV_EAI_SERVICE;
    case EAI_SOCKTYPE:
      return UV_EAI_SOCKTYPE;
    default:
      return UV_EAI_FAIL;
  }
}

// One lookup: shared by the lookup thread, the thread-safe function that brings
// its result to the JS thread, and that function's finalizer. Freed by the
// last of the thread and the finalizer to let go.
struct LookupJob {
  nsb_lookup c{};
  napi_deferred deferred = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  std::mutex mutex;
  bool alive = true;  // the thread-safe function exists (its finalizer has not run)
  int refs = 2;       // the thread's and the finalizer's
};

void Unref(LookupJob* job) {
  bool last;
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    last = --job->refs == 0;
  }
  if (!last) return;
  nsb_lookup_free(&job->c);
  delete job;
}

// On the lookup thread. Under the mutex, so the finalizer (which may run at
// environment teardown, while we are here) cannot free the function in between.
void LookupDone(nsb_lookup* c) {
  auto* job = static_cast<LookupJob*>(c->context);
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    if (job->alive) {
      napi_call_threadsafe_function(job->tsfn, job, napi_tsfn_blocking);  // napi_closing: nobody waits any more
      napi_release_threadsafe_function(job->tsfn, napi_tsfn_release);
    }
  }
  Unref(job);
}

// Build [[family, address], …] or [-errno, step] with the plain C API: this
// runs from the event loop, also while a worker is being terminated, when
// calls can fail (JS cannot run) and a node-addon-api failure would abort.
// Any failure leaves the promise unsettled: nobody is left to wait for it.
bool LookupAnswer(napi_env env, const nsb_lookup& c, napi_value* out) {
  napi_value a, v;
  if (napi_create_array(env, &a) != napi_ok) return false;
  *out = a;
  if (c.err != 0 || c.eai != 0) {
    return napi_create_int32(env, c.eai != 0 ? UvEai(c.eai) : c.err, &v) == napi_ok &&
           napi_set_element(env, a, 0, v) == napi_ok &&
           napi_create_string_utf8(env, kLookupSteps[c.step], NAPI_AUTO_LENGTH, &v) == napi_ok &&
           napi_set_element(env, a, 1, v) == napi_ok;
  }
  uint32_t n = 0;
  for (addrinfo* ai = c.result; ai; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void* addr = nullptr;
    if (ai->ai_family == AF_INET) addr = &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr;
    if (ai->ai_family == AF_INET6) addr = &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr;
    if (!addr || !inet_ntop(ai->ai_family, addr, text, sizeof text)) continue;
    napi_value entry, family, address;
    if (napi_create_array_with_length(env, 2, &entry) != napi_ok ||
        napi_create_int32(env, ai->ai_family == AF_INET6 ? 6 : 4, &family) != napi_ok ||
        napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address) != napi_ok ||
        napi_set_element(env, entry, 0, family) != napi_ok || napi_set_element(env, entry, 1, address) != napi_ok ||
        napi_set_element(env, a, n++, entry) != napi_ok)
      return false;
  }
  return true;
}

// On the JS thread; env is null at teardown (nothing to resolve).
void LookupCallJs(napi_env env, napi_value, void*, void* data) {
  auto* job = static_cast<LookupJob*>(data);
  if (env == nullptr) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value answer;
  if (LookupAnswer(env, job->c, &answer)) napi_resolve_deferred(env, job->deferred, answer);
  napi_close_handle_scope(env, scope);
}

void LookupFinalize(napi_env, void* data, void*) {
  auto* job = static_cast<LookupJob*>(data);
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    job->alive = false;
  }
  Unref(job);
}

}  // namespace

// socketAt(netFd, userFd (-1: none), domain, type, protocol) -> fd | [-errno, step]
Napi::Value Addon::SocketAt(const Napi::CallbackInfo& info) {
  glue::Args args(info, "socketAt", 5);
  int net_fd, user_fd, domain, type, protocol, step = 0;
  if (!args || !args.Fd(0, &net_fd) || !args.Int(1, "userFd", -1, INT_MAX, &user_fd) ||
      !args.Int(2, "domain", 0, INT_MAX, &domain) || !args.Int(3, "type", 0, INT_MAX, &type) ||
      !args.Int(4, "protocol", 0, INT_MAX, &protocol))
    return {};
  int r = nsb_socket_at(net_fd, user_fd, domain, type, protocol, &step);
  return Owned(FdOrStep(args.env(), r, step), r);  // until disown(): handed to Node or to the caller
}

// netlinkOpen(netFd, userFd (-1: none)) -> fd | [-errno, step]
Napi::Value Addon::NetlinkOpen(const Napi::CallbackInfo& info) {
  glue::Args args(info, "netlinkOpen", 2);
  int net_fd, user_fd, step = 0;
  if (!args || !args.Fd(0, &net_fd) || !args.Int(1, "userFd", -1, INT_MAX, &user_fd)) return {};
  int r = nsb_netlink_open(net_fd, user_fd, &step);
  return Owned(FdOrStep(args.env(), r, step), r);  // nsbind's own socket: never handed to libuv
}

// netlinkRequest(fd, message) -> Buffer (the answer's messages) | [-errno, kernel's message or undefined]
Napi::Value Addon::NetlinkRequest(const Napi::CallbackInfo& info) {
  glue::Args args(info, "netlinkRequest", 2);
  int fd;
  const uint8_t* data;
  size_t len;
  if (!args || !args.Fd(0, &fd) || !args.Bytes(1, "message", &data, &len)) return {};
  nsb_netlink_answer answer;
  int r = nsb_netlink_request(fd, data, len, &answer);
  napi_env env = args.env();
  Napi::Value out;
  if (r < 0) {
    glue::Out failure = glue::Out::Array(env).Set(0u, r);
    if (answer.message[0]) failure.Set(1u, glue::Str(env, answer.message));
    out = failure.Value();
  } else {
    out = glue::Buffer(env, answer.data ? answer.data : reinterpret_cast<const uint8_t*>(""), answer.len);
  }
  nsb_netlink_free(&answer);
  return out;
}

// bindSocket(fd, sockaddr bytes, reuseAddr, v6only (-1: leave)) -> 0 | -errno
Napi::Value Addon::BindSocket(const Napi::CallbackInfo& info) {
  glue::Args args(info, "bindSocket", 4);
  int fd, v6only;
  const uint8_t* addr;
  size_t len;
  bool reuse = false;
  if (!args || !args.Fd(0, &fd) || !SockaddrArg(args, 1, &addr, &len) || !args.Bool(2, "reuseAddr", &reuse) ||
      !args.Int(3, "v6only", -1, 1, &v6only))
    return {};
  return glue::Number(args.env(), nsb_bind(fd, addr, static_cast<unsigned>(len), reuse, v6only));
}

// connectSocket(fd, sockaddr bytes) -> 0 | -errno (never blocks)
Napi::Value Addon::ConnectSocket(const Napi::CallbackInfo& info) {
  glue::Args args(info, "connectSocket", 2);
  int fd;
  const uint8_t* addr;
  size_t len;
  if (!args || !args.Fd(0, &fd) || !SockaddrArg(args, 1, &addr, &len)) return {};
  return glue::Number(args.env(), nsb_connect(fd, addr, static_cast<unsigned>(len)));
}

// socketNetns(fd) -> fd of the socket's network namespace | -errno
Napi::Value Addon::SocketNetns(const Napi::CallbackInfo& info) {
  glue::Args args(info, "socketNetns", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  int r = nsb_socket_netns(fd);
  return Owned(glue::FdResult(args.env(), r), r);
}

// lookup(netFd, host, family (0, 4, 6), flags) -> Promise<[[family, address], …] | [-errno, step]> | -errno
Napi::Value Addon::Lookup(const Napi::CallbackInfo& info) {
  glue::Args args(info, "lookup", 4);
  int net_fd, family, flags;
  std::string host;
  if (!args || !args.Fd(0, &net_fd) || !args.String(1, "host", &host) || !args.Int(2, "family", 0, 6, &family) ||
      !args.Int(3, "flags", 0, AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL, &flags))
    return {};
  napi_env env = args.env();
  const char* bad = family != 0 && family != 4 && family != 6                ? "lookup: family must be 0, 4 or 6"
                    : host.empty()                                           ? "lookup: host must be a host name"
                    : (flags & ~(AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)) != 0 ? "lookup: flags must be AI_* flags"
                                                                             : nullptr;
  if (bad) {
    glue::RangeError(env, bad);
    return {};
  }

  auto* job = new LookupJob();
  job->c.net_fd = fcntl(net_fd, F_DUPFD_CLOEXEC, 0);
  int dup_err = errno;  // before strdup, which may set errno even when it succeeds
  job->c.host = strdup(host.c_str());
  job->c.family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  job->c.flags = flags;
  job->c.done = LookupDone;
  job->c.context = job;
  if (job->c.net_fd < 0 || !job->c.host) {
    int err = job->c.net_fd < 0 ? -dup_err : -ENOMEM;
    nsb_lookup_free(&job->c);
    delete job;
    return glue::Number(env, err);
  }
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "nsbind:lookup", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, job, LookupFinalize, nullptr, LookupCallJs,
                                      &job->tsfn) != napi_ok) {
    // a promise without a function to settle it is dropped unsettled; nothing else was made. No throw:
    // this fails when the environment is going away, and undefined tells JS (if it still runs) as much
    nsb_lookup_free(&job->c);
    delete job;
    return glue::Undefined(env);
  }
  int r = nsb_lookup_start(&job->c);
  if (r < 0) {
    // no thread: release its reference to the function ourselves (the finalizer drops the other)
    napi_release_threadsafe_function(job->tsfn, napi_tsfn_abort);
    Unref(job);
    return glue::Number(env, r);
  }
  return Napi::Value(env, promise);
}
