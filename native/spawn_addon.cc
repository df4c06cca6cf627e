// N-API glue for spawn: checks and converts the request into struct
// nsb_spawn_request, and watches each child's pidfd on the calling thread's
// event loop (uv_poll), reaping it with waitid(P_PIDFD) — no SIGCHLD handler,
// no pool thread.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "sandbox_mounts.h"
#include "sandbox_privs.h"
#include "spawn.h"
#include "spawn_sync.h"

// The JS function a child's exit is reported to, with its async context.
struct Callback {
  napi_ref fn = nullptr;
  napi_async_context context = nullptr;

  bool Make(napi_env env, napi_value function) {
    napi_value name;
    return napi_create_reference(env, function, 1, &fn) == napi_ok &&
           napi_create_string_utf8(env, "nsbind:spawn", NAPI_AUTO_LENGTH, &name) == napi_ok &&
           napi_async_init(env, nullptr, name, &context) == napi_ok;
  }
  void Release(napi_env env) {  // nothing is left to do when these fail
    if (fn) napi_delete_reference(env, fn);
    if (context) napi_async_destroy(env, context);
    fn = nullptr;
    context = nullptr;
  }
};

namespace {

// argv and envp entries: more than execve(2) can take (its strings and pointers fit in 6 MiB).
constexpr uint32_t kMaxArgs = 1 << 20;
// The largest integer a JS number holds exactly (a resource limit; -1 is "unlimited").
constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;

// A struct nsb_spawn_request read from the request object, with the strings
// and arrays it points into.
class Request {
 public:
  explicit Request(napi_env env) : env_(env) {}

  bool Read(napi_value o) {
    o_ = o;
    return Str("file", &q.file) && Strings("argv", &q.argv) && Strings("envp", &q.envp) && Optional("path", &q.path) &&
           Int("cloneFlags", 0, INT32_MAX, &q.clone_flags) && Flag("newTime", &q.new_time) &&
           Optional("timensOffsets", &q.timens_offsets) && Joins() && Optional("hostname", &q.hostname) &&
           Optional("domainname", &q.domainname) && Int("propagation", 0, INT32_MAX, &q.propagation) &&
           Optional("root", &q.root) && Flag("mountProc", &q.mount_proc) && Flag("mountSys", &q.mount_sys) &&
           OptionalFlag("loopback", &q.loopback) && OptionalFlag("newRoot", &q.new_root) && Mounts() &&
           Optional("cwd", &q.cwd) && Flag("setsid", &q.setsid) && Id("uid", &q.uid) && Id("gid", &q.gid) &&
           OptionalFlag("keepCredentials", &q.keep_credentials) && Int("pdeathsig", 0, 64, &q.pdeathsig) && Stdio() &&
           Optional("setgroups", &q.setgroups) && Optional("uidMap", &q.uid_map) && Optional("gidMap", &q.gid_map) &&
           Optional("init", &q.init) && Privileges();
  }

  nsb_spawn_request q{};

 private:
  std::string Name(const std::string& key) const { return "spawn: request." + key; }
  bool Get(const char* key, napi_value* v) const { return glue::Get(env_, o_, key, v); }

  bool Str(const char* key, const char** out) {
    napi_value v;
    return Get(key, &v) && StrValue(v, Name(key), out);
  }
  bool StrValue(napi_value v, const std::string& name, const char** out) {
    std::string& s = strings_.emplace_back();
    if (!glue::String(env_, v, name, &s)) return false;
    *out = s.c_str();
    return true;
  }
  // Absent (undefined): NULL.
  bool Optional(const char* key, const char** out) {
    napi_value v;
    if (!Get(key, &v)) return false;
    *out = nullptr;
    return glue::Is(env_, v, napi_undefined) || StrValue(v, Name(key), out);
  }
  bool Strings(const char* key, char* const** out) {
    napi_value a, e;
    uint32_t n;
    if (!Get(key, &a) || !glue::Array(env_, a, Name(key), kMaxArgs, &n)) return false;
    std::vector<char*>& vec = arrays_.emplace_back();
    for (uint32_t i = 0; i < n; i++) {
      const char* s;
      if (!glue::Element(env_, a, i, &e) || !StrValue(e, Name(key) + "[" + std::to_string(i) + "]", &s)) return false;
      vec.push_back(const_cast<char*>(s));
    }
    vec.push_back(nullptr);
    *out = vec.data();
    return true;
  }
  template <typename T>
  bool Int(const char* key, int64_t min, int64_t max, T* out) {
    napi_value v;
    return Get(key, &v) && glue::Int(env_, v, Name(key), min, max, out);
  }
  bool Flag(const char* key, int* out) {
    napi_value v;
    bool b;
    if (!Get(key, &v) || !glue::Bool(env_, v, Name(key), &b)) return false;
    *out = b;
    return true;
  }
  // Absent (undefined): 0.
  bool OptionalFlag(const char* key, int* out) {
    napi_value v;
    bool b = false;
    if (!Get(key, &v) || (!glue::Is(env_, v, napi_undefined) && !glue::Bool(env_, v, Name(key), &b))) return false;
    *out = b;
    return true;
  }
  // A uid or gid; absent: (uid_t)-1, "unchanged" (never a value JS may pass).
  template <typename T>
  bool Id(const char* key, T* out) {
    napi_value v;
    if (!Get(key, &v)) return false;
    *out = static_cast<T>(-1);
    return glue::Is(env_, v, napi_undefined) || glue::Int(env_, v, Name(key), 0, UINT32_MAX - 1, out);
  }
  // [{ fd, nstype }] in join order.
  bool Joins() {
    napi_value a, e, v;
    uint32_t n;
    if (!Get("join", &a) || !glue::Array(env_, a, Name("join"), NSB_MAX_JOIN, &n)) return false;
    join_.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      std::string name = Name("join") + "[" + std::to_string(i) + "]";
      if (!glue::Element(env_, a, i, &e)) return false;
      if (!glue::Is(env_, e, napi_object)) return glue::TypeError(env_, name + " must be an object");
      if (!glue::Get(env_, e, "fd", &v) || !glue::Int(env_, v, name + ".fd", 0, INT32_MAX, &join_[i].fd) ||
          !glue::Get(env_, e, "nstype", &v) || !glue::Int(env_, v, name + ".nstype", 1, INT32_MAX, &join_[i].nstype))
        return false;
    }
    q.join = join_.data();
    q.njoin = static_cast<int>(n);
    return true;
  }
  // Child fd i: a parent fd, or 'devnull', 'pipe:read' (the child reads it), 'pipe:write', 'socketpair'.
  bool Stdio() {
    napi_value a, e;
    uint32_t n;
    if (!Get("stdio", &a) || !glue::Array(env_, a, Name("stdio"), NSB_MAX_STDIO, &n)) return false;
    stdio_.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      std::string name = Name("stdio") + "[" + std::to_string(i) + "]", kind;
      if (!glue::Element(env_, a, i, &e)) return false;
      if (glue::Is(env_, e, napi_number)) {
        stdio_[i].kind = NSB_STDIO_FD;
        if (!glue::Int(env_, e, name, 0, INT32_MAX, &stdio_[i].fd)) return false;
        continue;
      }
      if (!glue::String(env_, e, name, &kind)) return false;
      if (kind == "devnull")
        stdio_[i].kind = NSB_STDIO_DEVNULL;
      else if (kind == "pipe:read")
        stdio_[i].kind = NSB_STDIO_PIPE_READ;
      else if (kind == "pipe:write")
        stdio_[i].kind = NSB_STDIO_PIPE_WRITE;
      else if (kind == "socketpair")
        stdio_[i].kind = NSB_STDIO_SOCKETPAIR;
      else
        return glue::TypeError(env_, name + " must be an fd, 'devnull', 'pipe:read', 'pipe:write' or 'socketpair'");
    }
    q.stdio = stdio_.data();
    q.nstdio = static_cast<int>(n);
    return true;
  }

  // The privilege fields (native/sandbox_privs.h), each optional.
  bool Privileges() {
    q.ngroups = -1;
    return Rlimits() && Groups() && Capabilities() && OptionalFlag("noNewPrivileges", &q.no_new_privs) && Seccomp() &&
           Optional("cgroup", &q.cgroup) && OptionalFlag("paused", &q.paused);
  }
  // [{ resource, soft, hard }], -1 for RLIM_INFINITY.
  bool Rlimits() {
    napi_value a, e, v;
    uint32_t n;
    if (!Get("rlimits", &a)) return false;
    if (glue::Is(env_, a, napi_undefined)) return true;
    if (!glue::Array(env_, a, Name("rlimits"), NSB_MAX_RLIMITS, &n)) return false;
    rlimits_.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      std::string name = Name("rlimits") + "[" + std::to_string(i) + "]";
      int64_t soft, hard;
      if (!glue::Element(env_, a, i, &e)) return false;
      if (!glue::Is(env_, e, napi_object)) return glue::TypeError(env_, name + " must be an object");
      if (!glue::Get(env_, e, "resource", &v) ||
          !glue::Int(env_, v, name + ".resource", 0, NSB_MAX_RLIMITS - 1, &rlimits_[i].resource) ||
          !glue::Get(env_, e, "soft", &v) || !glue::Int(env_, v, name + ".soft", -1, kMaxSafe, &soft) ||
          !glue::Get(env_, e, "hard", &v) || !glue::Int(env_, v, name + ".hard", -1, kMaxSafe, &hard))
        return false;
      rlimits_[i].soft = soft < 0 ? NSB_RLIM_INFINITY : static_cast<uint64_t>(soft);
      rlimits_[i].hard = hard < 0 ? NSB_RLIM_INFINITY : static_cast<uint64_t>(hard);
      if (rlimits_[i].soft > rlimits_[i].hard) return glue::RangeError(env_, name + ".soft is above its hard limit");
    }
    q.rlimits = rlimits_.data();
    q.nrlimits = static_cast<int>(n);
    return true;
  }
  // Supplementary group ids (absent: ngroups -1).
  bool Groups() {
    napi_value a, e;
    uint32_t n;
    if (!Get("groups", &a)) return false;
    if (glue::Is(env_, a, napi_undefined)) return true;
    if (!glue::Array(env_, a, Name("groups"), NSB_MAX_GROUPS, &n)) return false;
    groups_.resize(n);
    for (uint32_t i = 0; i < n; i++)
      if (!glue::Element(env_, a, i, &e) ||
          !glue::Int(env_, e, Name("groups") + "[" + std::to_string(i) + "]", 0, UINT32_MAX - 1, &groups_[i]))
        return false;
    q.groups = groups_.data();
    q.ngroups = static_cast<int>(n);
    return true;
  }
  // Capability numbers to keep (absent: the sets are left alone).
  bool Capabilities() {
    napi_value a, e;
    uint32_t n;
    if (!Get("capabilities", &a)) return false;
    if (glue::Is(env_, a, napi_undefined)) return true;
    if (!glue::Array(env_, a, Name("capabilities"), 64, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      int cap;
      if (!glue::Element(env_, a, i, &e) ||
          !glue::Int(env_, e, Name("capabilities") + "[" + std::to_string(i) + "]", 0, 63, &cap))
        return false;
      q.caps |= uint64_t{1} << cap;
    }
    q.has_caps = 1;
    return true;
  }
  // A Uint8Array of struct sock_filter (8 bytes each), copied.
  bool Seccomp() {
    napi_value v;
    bool is = false;
    napi_typedarray_type type;
    size_t length;
    void* bytes;
    if (!Get("seccomp", &v)) return false;
    if (glue::Is(env_, v, napi_undefined)) return true;
    if (napi_is_typedarray(env_, v, &is) != napi_ok || !is ||
        napi_get_typedarray_info(env_, v, &type, &length, &bytes, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array)
      return glue::TypeError(env_, Name("seccomp") + " must be a Uint8Array");
    if (length == 0 || length % 8 || length / 8 > NSB_MAX_SECCOMP)
      return glue::RangeError(env_, Name("seccomp") + " must hold 1 to 4096 instructions of 8 bytes");
    seccomp_.assign(static_cast<const uint8_t*>(bytes), static_cast<const uint8_t*>(bytes) + length);
    q.seccomp = seccomp_.data();
    q.seccomp_len = static_cast<int>(length / 8);
    return true;
  }
  // [{ type, target, source?, readonly?, devices?, mode?, size?, data? }] in order; absent: none.
  bool Mounts() {
    static const char* const kTypes[] = {"bind", "tmpfs", "proc", "dev", "dir", "symlink", "file"};
    napi_value a, e, v;
    uint32_t n;
    if (!Get("mounts", &a)) return false;
    if (glue::Is(env_, a, napi_undefined)) return true;
    if (!glue::Array(env_, a, Name("mounts"), NSB_MAX_MOUNTS, &n)) return false;
    mounts_.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      std::string name = Name("mounts") + "[" + std::to_string(i) + "]", type;
      nsb_mount& m = mounts_[i];
      if (!glue::Element(env_, a, i, &e)) return false;
      if (!glue::Is(env_, e, napi_object)) return glue::TypeError(env_, name + " must be an object");
      if (!glue::Get(env_, e, "type", &v) || !glue::String(env_, v, name + ".type", &type)) return false;
      m.type = -1;
      for (int t = 0; t < static_cast<int>(sizeof kTypes / sizeof *kTypes); t++)
        if (type == kTypes[t]) m.type = t;
      if (m.type < 0) return glue::TypeError(env_, name + ".type is not a mount type");
      bool readonly = false, devices = false;
      const uint8_t* data = nullptr;
      if (!glue::Get(env_, e, "target", &v) || !StrValue(v, name + ".target", &m.target) ||
          !Member(e, "source", name, [&](napi_value x, const std::string& n) { return StrValue(x, n, &m.source); }) ||
          !Member(e, "readonly", name,
                  [&](napi_value x, const std::string& n) { return glue::Bool(env_, x, n, &readonly); }) ||
          !Member(e, "devices", name,
                  [&](napi_value x, const std::string& n) { return glue::Bool(env_, x, n, &devices); }) ||
          !Member(e, "mode", name,
                  [&](napi_value x, const std::string& n) { return glue::Int(env_, x, n, 0, 07777, &m.mode); }) ||
          !Member(e, "size", name,
                  [&](napi_value x, const std::string& n) {
                    return glue::Int(env_, x, n, 0, INT64_C(1) << 53, &m.size);
                  }) ||
          !Member(e, "data", name,
                  [&](napi_value x, const std::string& n) { return glue::Bytes(env_, x, n, &data, &m.length); }))
        return false;
      m.readonly = readonly;
      m.devices = devices;
      // a copy: a getter run later could detach the array's buffer
      m.data = data ? strings_.emplace_back(reinterpret_cast<const char*>(data), m.length).data() : nullptr;
    }
    q.mounts = mounts_.data();
    q.nmounts = static_cast<int>(n);
    return true;
  }
  // An optional member of an object (absent: left as it is), read by read(value, name).
  template <typename Read>
  bool Member(napi_value object, const char* key, const std::string& owner, Read read) {
    napi_value v;
    if (!glue::Get(env_, object, key, &v)) return false;
    return glue::Is(env_, v, napi_undefined) || read(v, owner + "." + key);
  }

  napi_env env_;
  napi_value o_ = nullptr;
  std::deque<std::string> strings_;  // a deque: what q points into never moves
  std::deque<std::vector<char*>> arrays_;
  std::vector<nsb_join> join_;
  std::vector<nsb_stdio> stdio_;
  std::vector<nsb_rlimit> rlimits_;
  std::vector<gid_t> groups_;
  std::vector<uint8_t> seccomp_;
  std::vector<nsb_mount> mounts_;
};

Napi::Value Failure(napi_env env, int r, const nsb_spawn_result& res);

Napi::Value StepName(napi_env env, int step) {
  return glue::Str(env, step >= 0 && step < NSB_STEP_COUNT ? nsb_step_names[step] : "unknown");
}

Napi::Value Failure(napi_env env, int r, const nsb_spawn_result& res) {
  return glue::Out::Object(env)
      .Set("errno", r)
      .Set("step", StepName(env, res.step))
      .Set("aux", res.aux)
      .Set("pid", static_cast<double>(res.pid))
      .Value();
}

}  // namespace

// A paused child (nsb_spawn_start): its setup state and the request it reads, both kept until it
// has had the go-ahead or is gone.
struct Addon::Paused {
  nsb_spawn_state* state;
  std::unique_ptr<Request> request;
  pid_t pid;
};

struct Addon::Child {
  uv_poll_t poll;
  int pidfd;
  Addon* addon;
  Callback on_exit;
  Paused* paused = nullptr;  // until resumed, or gone
};

// spawn(request, onExit(status)) -> { pid, pidfd, stdio } | { errno, step, aux, pid }
// status: { code, signal } once reaped (code -1 when signalled), or { errno, syscall }
// when the exit could not be read.
Napi::Value Addon::Spawn(const Napi::CallbackInfo& info) {
  glue::Args args(info, "spawn", 2);
  napi_env env = args.env();
  napi_value o, on_exit;
  if (!args || !args.Object(0, "request", &o) || !args.Function(1, "onExit", &on_exit)) return {};
  auto request = std::make_unique<Request>(env);
  if (!request->Read(o)) return {};

  nsb_spawn_result res;
  nsb_spawn_state* state = nullptr;
  int nstdio = request->q.nstdio;
  int r = request->q.paused ? nsb_spawn_start(&request->q, &res, &state) : nsb_spawn(&request->q, &res);
  Paused* paused = state ? new Paused{state, std::move(request), res.pid} : nullptr;
  if (r == 0 && (r = Watch(env, res.pidfd, on_exit, paused)) < 0) {
    res.step = NSB_STEP_WATCH;
    for (int i = 0; i < nstdio; i++)
      if (res.stdio[i] >= 0) close(res.stdio[i]);
  }
  if (r < 0) return Failure(env, r, res);
  glue::Out stdio = glue::Out::Array(env);
  for (int i = 0; i < nstdio; i++) stdio.Set(static_cast<uint32_t>(i), res.stdio[i]);
  Napi::Value out = glue::Out::Object(env)
                        .Set("pid", static_cast<double>(res.pid))
                        .Set("pidfd", res.pidfd)
                        .Set("stdio", stdio.Value())
                        .Value();
  if (out.IsEmpty())  // JS will never own the pipe ends; the child stays watched (and reaped)
    for (int i = 0; i < nstdio; i++)
      if (res.stdio[i] >= 0) close(res.stdio[i]);
  return out;
}

// resume(pidfd) -> 0 | -ESRCH (not a paused child of ours) | { errno, step, aux, pid }:
// the go-ahead for a paused child, then its setup and exec, as spawn reports them. A child
// that fails is killed and left to its watcher to reap.
Napi::Value Addon::Resume(const Napi::CallbackInfo& info) {
  glue::Args args(info, "resume", 1);
  int pidfd;
  if (!args || !args.Fd(0, &pidfd)) return {};
  auto it = children_.find(pidfd);
  if (it == children_.end() || !it->second->paused) return glue::Number(args.env(), -ESRCH);
  std::unique_ptr<Paused> paused(it->second->paused);
  it->second->paused = nullptr;
  nsb_spawn_result res;
  res.pid = paused->pid;
  int r = nsb_spawn_go(paused->state, pidfd, &res);
  return r < 0 ? Failure(args.env(), r, res) : glue::Number(args.env(), 0);
}

// Watch pidfd on this environment's loop; on failure the child is killed and
// reaped and the pidfd closed.
int Addon::Watch(napi_env env, int pidfd, napi_value on_exit, Paused* paused) {
  auto* child = new Child{};
  child->pidfd = pidfd;
  child->addon = this;
  child->poll.data = child;
  child->paused = paused;
  int r = child->on_exit.Make(env, on_exit) ? uv_poll_init(loop_, &child->poll, pidfd) : UV_ENOMEM;
  if (r < 0) {  // nothing for libuv to close
    nsb_pidfd_kill_reap(pidfd);
    close(pidfd);
    child->on_exit.Release(env);
    ReleasePaused(child);
    delete child;
    return r;
  }
  children_[pidfd] = child;
  if ((r = uv_poll_start(&child->poll, UV_READABLE, OnReadable)) < 0) {
    nsb_pidfd_kill_reap(pidfd);
    child->on_exit.Release(env);
    Forget(child);
  }
  return r;
}

// The pidfd turns readable when the process exits: reap it and report. A
// watcher that fails (libuv's status) cannot watch on: its child is killed.
void Addon::OnReadable(uv_poll_t* handle, int status, int) {
  auto* child = static_cast<Child*>(handle->data);
  int code = 0, signal = 0;
  int r = nsb_pidfd_reap(child->pidfd, &code, &signal);
  if (r == 0 && status == 0) return;  // not yet
  if (r == 0) nsb_pidfd_kill_reap(child->pidfd);
  Addon* addon = child->addon;
  napi_env env = addon->env_;
  Callback on_exit = child->on_exit;  // outlives the Child, which goes with Forget
  child->on_exit = Callback{};
  addon->Forget(child);

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return on_exit.Release(env);
  glue::Out result = glue::Out::Object(env);
  if (r > 0)
    result.Set("code", code).Set("signal", signal);
  else
    result.Set("errno", r < 0 ? r : status).Set("syscall", glue::Str(env, r < 0 ? "waitid" : "uv_poll"));
  napi_value fn, global, argv[1] = {result.Value()};
  if (argv[0] && napi_get_reference_value(env, on_exit.fn, &fn) == napi_ok && fn &&
      napi_get_global(env, &global) == napi_ok &&
      napi_make_callback(env, on_exit.context, global, fn, 1, argv, nullptr) != napi_ok)
    glue::ReportUncaught(env);
  napi_close_handle_scope(env, scope);
  on_exit.Release(env);
}

// A paused child that is gone (reaped) no longer needs its setup state.
void Addon::ReleasePaused(Child* child) {
  if (!child->paused) return;
  nsb_spawn_release(child->paused->state);
  delete child->paused;
  child->paused = nullptr;
}

// Stop watching and close the pidfd (libuv does not touch the fd once the poll
// is stopped and closing); the Child itself goes when libuv lets go of it.
void Addon::Forget(Child* child) {
  ReleasePaused(child);
  children_.erase(child->pidfd);
  closing_++;
  uv_poll_stop(&child->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&child->poll), [](uv_handle_t* h) {
    auto* c = static_cast<Child*>(h->data);
    Addon* addon = c->addon;
    delete c;
    if (--addon->closing_ == 0 && addon->teardown_) {
      napi_remove_async_cleanup_hook(addon->teardown_);
      addon->teardown_ = nullptr;
    }
  });
  close(child->pidfd);
}

// The environment goes away (process exit or worker termination). A worker's
// children are killed and reaped so none becomes a zombie of a live process;
// the main thread's are left running, as child_process leaves them. The hook
// finishes once libuv has closed every watcher.
void Addon::Teardown(napi_async_cleanup_hook_handle handle, void* data) {
  auto* addon = static_cast<Addon*>(data);
  addon->teardown_ = handle;
  while (!addon->children_.empty()) {
    Child* child = addon->children_.begin()->second;
    if (addon->worker_ || child->paused) nsb_pidfd_kill_reap(child->pidfd);  // a paused one never ran the program
    child->on_exit.Release(addon->env_);
    addon->Forget(child);
  }
  if (addon->closing_ == 0) {
    napi_remove_async_cleanup_hook(handle);
    addon->teardown_ = nullptr;
  }
}

Napi::Value Addon::Kill(const Napi::CallbackInfo& info) {
  glue::Args args(info, "kill", 2);
  int pidfd, sig;
  if (!args || !args.Fd(0, &pidfd) || !args.Int(1, "signal", 0, 64, &sig)) return {};
  if (children_.find(pidfd) == children_.end()) return glue::Number(args.env(), -ESRCH);
  return glue::Number(args.env(), nsb_pidfd_kill(pidfd, sig));
}

Napi::Value Addon::Ref(const Napi::CallbackInfo& info) {
  glue::Args args(info, "ref", 2);
  int pidfd;
  bool ref;
  if (!args || !args.Fd(0, &pidfd) || !args.Bool(1, "ref", &ref)) return {};
  auto it = children_.find(pidfd);
  if (it != children_.end()) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&it->second->poll);
    if (ref)
      uv_ref(handle);
    else
      uv_unref(handle);
  }
  return glue::Undefined(args.env());
}

// spawnSync(request, input, timeoutMs, maxBuffer, killSignal) -> { pid, code, signal, output, error?, syscall? }
// | { errno, step, aux, pid }: the child is waited for here, on this thread (spawn_sync.c).
Napi::Value Addon::SpawnSync(const Napi::CallbackInfo& info) {
  glue::Args args(info, "spawnSync", 5);
  napi_env env = args.env();
  napi_value o;
  nsb_sync_options opt{};
  const uint8_t* input;
  int64_t max_buffer;
  if (!args || !args.Object(0, "request", &o) || !args.Bytes(1, "input", &input, &opt.input_len) ||
      !args.Int(2, "timeout", 0, INT32_MAX, &opt.timeout_ms) ||
      !args.Int(3, "maxBuffer", 0, (int64_t{1} << 53) - 1, &max_buffer) ||
      !args.Int(4, "killSignal", 0, 64, &opt.kill_signal))
    return {};
  Request request(env);
  if (!request.Read(o)) return {};
  opt.input = input;
  opt.max_buffer = static_cast<size_t>(max_buffer);

  auto res = std::make_unique<nsb_sync_result>();
  int r = nsb_spawn_sync(&request.q, &opt, res.get());
  if (r < 0) return Failure(env, r, res->spawn);
  glue::Out output = glue::Out::Array(env);
  for (int i = 0; i < request.q.nstdio; i++) {
    const nsb_sync_output& out = res->out[i];
    output.Set(static_cast<uint32_t>(i),
               out.piped ? glue::Buffer(env, out.data ? out.data : "", out.len) : glue::Null(env));
  }
  glue::Out result = glue::Out::Object(env)
                         .Set("pid", static_cast<double>(res->spawn.pid))
                         .Set("code", res->code)
                         .Set("signal", res->signal)
                         .Set("output", output.Value());
  if (res->error) result.Set("error", res->error).Set("syscall", glue::Str(env, res->syscall ? res->syscall : ""));
  nsb_sync_free(res.get());
  return result.Value();
}

Napi::Value Addon::StepNames(napi_env env) {
  glue::Out names = glue::Out::Array(env);
  for (int i = 0; i < NSB_STEP_COUNT; i++) names.Set(static_cast<uint32_t>(i), glue::Str(env, nsb_step_names[i]));
  return names.Value();
}

// What the request may hold at most (nsb_spawn checks them too).
Napi::Value Addon::Limits(napi_env env) {
  return glue::Out::Object(env)
      .Set("args", kMaxArgs)
      .Set("join", NSB_MAX_JOIN)
      .Set("stdio", NSB_MAX_STDIO)
      .Set("idMap", static_cast<double>(nsb_id_map_max()))
      .Set("mounts", NSB_MAX_MOUNTS)
      .Value();
}
