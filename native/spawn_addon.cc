// N-API glue for spawn: converts the prepared options into struct nsb_spawn,
// and watches each child's pidfd on the calling thread's event loop (uv_poll),
// reaping it with waitid(P_PIDFD) — no SIGCHLD handler, no pool thread.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "spawn.h"

struct Addon::Child {
  uv_poll_t poll;
  int pidfd;
  Addon* addon;
  Napi::FunctionReference on_exit;
  std::unique_ptr<Napi::AsyncContext> context;
};

namespace {

// Owns the strings and arrays a struct nsb_spawn points into.
class Prepared {
 public:
  const char* Str(Napi::Object o, const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsString()) return nullptr;
    strings_.push_back(std::make_unique<std::string>(v.As<Napi::String>().Utf8Value()));
    return strings_.back()->c_str();
  }
  char* const* StrArray(Napi::Object o, const char* key) {
    Napi::Array a = o.Get(key).As<Napi::Array>();
    auto& vec = arrays_.emplace_back();
    for (uint32_t i = 0; i < a.Length(); i++) {
      strings_.push_back(std::make_unique<std::string>(a.Get(i).As<Napi::String>().Utf8Value()));
      vec.push_back(strings_.back()->data());
    }
    vec.push_back(nullptr);
    return vec.data();
  }
  const int* IntArray(Napi::Object o, const char* key, int* count) {
    Napi::Array a = o.Get(key).As<Napi::Array>();
    auto& vec = ints_.emplace_back();
    for (uint32_t i = 0; i < a.Length(); i++) vec.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    *count = static_cast<int>(vec.size());
    return vec.data();
  }

 private:
  std::vector<std::unique_ptr<std::string>> strings_;
  std::vector<std::vector<char*>> arrays_;
  std::vector<std::vector<int>> ints_;
};

int Int(Napi::Object o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

}  // namespace

// spawn(options, onExit(code, signal)) -> [pid, pidfd] | [-errno, step, aux, pid]
Napi::Value Addon::Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  Prepared p;
  struct nsb_spawn s {};
  s.file = p.Str(o, "file");
  s.argv = p.StrArray(o, "argv");
  s.envp = p.StrArray(o, "envp");
  s.path = p.Str(o, "path");
  s.clone_flags = Int(o, "cloneFlags");
  s.new_time = Int(o, "newTime");
  s.timens_offsets = p.Str(o, "timensOffsets");
  int njoin = 0;
  const int* join = p.IntArray(o, "join", &njoin);  // [fd, nstype, fd, nstype, …]
  s.njoin = njoin / 2 < NSB_MAX_JOIN ? njoin / 2 : NSB_MAX_JOIN;
  for (int i = 0; i < s.njoin; i++) s.join[i] = {join[2 * i], join[2 * i + 1]};
  s.join_pid_fd = Int(o, "joinPid");
  s.join_pid_restore_fd = Int(o, "joinPidRestore");
  s.hostname = p.Str(o, "hostname");
  s.domainname = p.Str(o, "domainname");
  s.propagation = static_cast<unsigned long>(Int(o, "propagation"));
  s.root = p.Str(o, "root");
  s.mount_proc = Int(o, "mountProc");
  s.mount_sys = Int(o, "mountSys");
  s.cwd = p.Str(o, "cwd");
  s.setsid = Int(o, "setsid");
  s.uid = Int(o, "uid");
  s.gid = Int(o, "gid");
  s.pdeathsig = Int(o, "pdeathsig");
  s.fds = p.IntArray(o, "fds", &s.nfds);
  s.use_vm = Int(o, "useVm");
  s.setgroups = p.Str(o, "setgroups");
  s.uid_map = p.Str(o, "uidMap");
  s.gid_map = p.Str(o, "gidMap");
  if (env.IsExceptionPending()) return env.Undefined();

  int r = nsb_spawn(&s);
  Napi::Array out = Napi::Array::New(env, r < 0 ? 4 : 2);
  if (r < 0) {
    out.Set(0u, r);
    out.Set(1u, s.step);
    out.Set(2u, s.aux);
    out.Set(3u, static_cast<double>(s.pid));
    return out;
  }
  Watch(env, s.pidfd, info[1].As<Napi::Function>());
  out.Set(0u, static_cast<double>(s.pid));
  out.Set(1u, s.pidfd);
  return out;
}

void Addon::Watch(Napi::Env env, int pidfd, Napi::Function on_exit) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* child = new Child{};
  child->pidfd = pidfd;
  child->addon = this;
  child->on_exit = Napi::Persistent(on_exit);
  child->context = std::make_unique<Napi::AsyncContext>(env, "nsbind:spawn");
  uv_poll_init(loop, &child->poll, pidfd);
  child->poll.data = child;
  uv_poll_start(&child->poll, UV_READABLE, OnReadable);
  children_[pidfd] = child;
}

// The pidfd turns readable when the process exits: reap it and report.
void Addon::OnReadable(uv_poll_t* handle, int, int) {
  auto* child = static_cast<Child*>(handle->data);
  int code = 0, signal = 0;
  if (nsb_pidfd_reap(child->pidfd, &code, &signal) == 0) return;  // not yet
  Napi::Env env = child->on_exit.Env();
  Napi::HandleScope scope(env);
  Napi::FunctionReference on_exit = std::move(child->on_exit);
  std::unique_ptr<Napi::AsyncContext> context = std::move(child->context);
  child->addon->Forget(child);
  on_exit.MakeCallback(env.Global(), {Napi::Number::New(env, code), Napi::Number::New(env, signal)}, *context);
}

// Stop watching and close the pidfd (libuv does not touch the fd once the poll
// is stopped and closing); the Child itself goes when libuv lets go of it.
void Addon::Forget(Child* child) {
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
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(addon->env_, &loop);
  bool worker = loop != uv_default_loop();
  while (!addon->children_.empty()) {
    Child* child = addon->children_.begin()->second;
    if (worker) nsb_pidfd_kill_reap(child->pidfd);
    child->on_exit.Reset();
    child->context.reset();
    addon->Forget(child);
  }
  if (addon->closing_ == 0) {
    napi_remove_async_cleanup_hook(handle);
    addon->teardown_ = nullptr;
  }
}

Napi::Value Addon::Kill(const Napi::CallbackInfo& info) {
  int pidfd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (children_.find(pidfd) == children_.end()) return Napi::Number::New(info.Env(), -ESRCH);
  return Napi::Number::New(info.Env(), nsb_pidfd_kill(pidfd, sig));
}

Napi::Value Addon::Ref(const Napi::CallbackInfo& info) {
  auto it = children_.find(info[0].As<Napi::Number>().Int32Value());
  if (it != children_.end()) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&it->second->poll);
    if (info[1].ToBoolean())
      uv_ref(handle);
    else
      uv_unref(handle);
  }
  return info.Env().Undefined();
}

Napi::Array Addon::StepNames(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env);
  for (uint32_t i = 0; nsb_step_names[i]; i++) names.Set(i, nsb_step_names[i]);
  return names;
}

Napi::Value Addon::OpenDevNull(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_open_devnull());
}

Napi::Value Addon::Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  int r = nsb_pipe(fds);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, fds[0]);
  out.Set(1u, fds[1]);
  return out;
}
