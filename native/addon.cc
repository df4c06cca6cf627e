#include "addon.h"

#include "ns.h"
#include "pool.h"

namespace {

// Results cross into JS as a number (>= 0 result, < 0 negative errno) or,
// for handles, as [fd, type, dev, ino]. JS turns negatives into errors. An fd
// that cannot be handed over (the environment is going away) is closed.
Napi::Value NsResult(napi_env env, int r, const nsb_ns& ns) {
  if (r < 0) return glue::Number(env, r);
  Napi::Value a = glue::Out::Array(env)
                      .Set(0u, ns.fd)
                      .Set(1u, ns.type)
                      .Set(2u, static_cast<double>(ns.dev))
                      .Set(3u, static_cast<double>(ns.ino))
                      .Value();
  if (a.IsEmpty()) nsb_close(ns.fd);
  return a;
}

bool Request(const glue::Args& args, size_t i, nsb_request* out) {
  return args.Int(i, "request", 0, NSB_REQUEST_COUNT - 1, out);
}

Napi::Value Requests(napi_env env) {
  static const char* const names[NSB_REQUEST_COUNT] = {"NS_GET_USERNS",
                                                       "NS_GET_PARENT",
                                                       "NS_GET_NSTYPE",
                                                       "NS_GET_OWNER_UID",
                                                       "NS_GET_MNTNS_ID",
                                                       "NS_GET_PID_FROM_PIDNS",
                                                       "NS_GET_TGID_FROM_PIDNS",
                                                       "NS_GET_PID_IN_PIDNS",
                                                       "NS_GET_TGID_IN_PIDNS",
                                                       "NS_MNT_GET_INFO",
                                                       "NS_MNT_GET_NEXT",
                                                       "NS_MNT_GET_PREV",
                                                       "NS_GET_ID"};
  glue::Out out = glue::Out::Object(env);
  for (int i = 0; i < NSB_REQUEST_COUNT; i++) {
    double value = static_cast<double>(nsb_request_value(static_cast<nsb_request>(i)));
    out.Set(names[i], glue::Out::Object(env).Set("id", i).Set("value", value).Value());
  }
  return out.Value();
}

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) : env_(env) {
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr) {
    napi_throw_error(env, nullptr, "nsbind: this environment has no event loop");
    return;
  }
  worker_ = loop_ != uv_default_loop();
  if (int r = nsb_start_pool(); r < 0) {
    napi_throw_error(env, nullptr,
                     (std::string("nsbind: cannot start libuv's thread pool: ") + uv_strerror(r)).c_str());
    return;
  }
  if (napi_add_async_cleanup_hook(env, Teardown, this, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, "nsbind: cannot register its environment cleanup hook");
    return;
  }
  Napi::Value requests = Requests(env), steps = StepNames(env), limits = Limits(env);
  if (requests.IsEmpty() || steps.IsEmpty() || limits.IsEmpty()) return;
  DefineAddon(exports, {
                           InstanceMethod("open", &Addon::Open),
                           InstanceMethod("dup", &Addon::Dup),
                           InstanceMethod("close", &Addon::Close),
                           InstanceMethod("disown", &Addon::Disown),
                           InstanceMethod("unshare", &Addon::Unshare),
                           InstanceMethod("setns", &Addon::Setns),
                           InstanceMethod("pidfdOpen", &Addon::PidfdOpen),
                           InstanceMethod("related", &Addon::Related),
                           InstanceMethod("childNamespace", &Addon::ChildNamespace),
                           InstanceMethod("queryInt", &Addon::QueryInt),
                           InstanceMethod("ownerUid", &Addon::OwnerUid),
                           InstanceMethod("queryU64", &Addon::QueryU64),
                           InstanceMethod("mntQuery", &Addon::MntQuery),
                           InstanceMethod("openCwd", &Addon::OpenCwd),
                           InstanceMethod("fchdir", &Addon::Fchdir),
                           InstanceMethod("errnoName", &Addon::ErrnoName),
                           InstanceMethod("spawn", &Addon::Spawn),
                           InstanceMethod("resume", &Addon::Resume),
                           InstanceMethod("kill", &Addon::Kill),
                           InstanceMethod("ref", &Addon::Ref),
                           InstanceMethod("spawnSync", &Addon::SpawnSync),
                           InstanceMethod("userName", &Addon::UserName),
                           InstanceMethod("openDir", &Addon::OpenDir),
                           InstanceMethod("persistAt", &Addon::PersistAt),
                           InstanceMethod("releaseAt", &Addon::ReleaseAt),
                           InstanceMethod("unlinkAt", &Addon::UnlinkAt),
                           InstanceMethod("makeSharedMountpoint", &Addon::MakeSharedMountpoint),
                           InstanceMethod("processNamespaces", &Addon::ProcessNamespaces),
                           InstanceMethod("heldNamespace", &Addon::HeldNamespace),
                           InstanceMethod("socketAt", &Addon::SocketAt),
                           InstanceMethod("netlinkOpen", &Addon::NetlinkOpen),
                           InstanceMethod("netlinkRequest", &Addon::NetlinkRequest),
                           InstanceMethod("bindSocket", &Addon::BindSocket),
                           InstanceMethod("connectSocket", &Addon::ConnectSocket),
                           InstanceMethod("socketNetns", &Addon::SocketNetns),
                           InstanceMethod("lookup", &Addon::Lookup),
                           InstanceValue("requests", requests, napi_enumerable),
                           InstanceValue("steps", steps, napi_enumerable),
                           InstanceValue("limits", limits, napi_enumerable),
                       });
}

Addon::~Addon() {
  for (const auto& [fd, id] : owned_) nsb_close_if(fd, id.first, id.second);
}

// disown(fd): fd now belongs to someone else (Node took a socket over, or the caller did): not closed at teardown.
Napi::Value Addon::Disown(const Napi::CallbackInfo& info) {
  glue::Args args(info, "disown", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  owned_.erase(fd);
  return glue::Undefined(args.env());
}

// result: what hands fd over (empty if it could not be made: then fd is closed already, or was never opened).
Napi::Value Addon::Owned(Napi::Value result, int fd) {
  uint64_t dev, ino;
  if (!result.IsEmpty() && fd >= 0 && nsb_identity(fd, &dev, &ino) == 0) owned_[fd] = {dev, ino};
  return result;
}

Napi::Value Addon::Open(const Napi::CallbackInfo& info) {
  glue::Args args(info, "open", 1);
  std::string path;
  if (!args || !args.String(0, "path", &path)) return {};
  nsb_ns ns;
  int r = nsb_open(path.c_str(), &ns);
  return Owned(NsResult(args.env(), r, ns), r);
}

Napi::Value Addon::Dup(const Napi::CallbackInfo& info) {
  glue::Args args(info, "dup", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  nsb_ns ns;
  int r = nsb_dup(fd, &ns);
  return Owned(NsResult(args.env(), r, ns), r);
}

Napi::Value Addon::Close(const Napi::CallbackInfo& info) {
  glue::Args args(info, "close", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  owned_.erase(fd);
  return glue::Number(args.env(), nsb_close(fd));
}

Napi::Value Addon::Unshare(const Napi::CallbackInfo& info) {
  glue::Args args(info, "unshare", 1);
  int flags;
  if (!args || !args.Int(0, "flags", 0, INT32_MAX, &flags)) return {};
  return glue::Number(args.env(), nsb_unshare(flags));
}

Napi::Value Addon::Setns(const Napi::CallbackInfo& info) {
  glue::Args args(info, "setns", 2);
  int fd, nstype;
  if (!args || !args.Fd(0, &fd) || !args.Int(1, "nstype", 0, INT32_MAX, &nstype)) return {};
  return glue::Number(args.env(), nsb_setns(fd, nstype));
}

Napi::Value Addon::PidfdOpen(const Napi::CallbackInfo& info) {
  glue::Args args(info, "pidfdOpen", 1);
  int pid;
  if (!args || !args.Int(0, "pid", 1, INT32_MAX, &pid)) return {};
  int r = nsb_pidfd_open(pid);
  return Owned(glue::FdResult(args.env(), r), r);
}

// childNamespace(pidfd, nstype, forChildren, viaProc): a namespace of a child this environment watches,
// through its pidfd; -ESRCH once it has been reaped (its pid may belong to another process by then).
Napi::Value Addon::ChildNamespace(const Napi::CallbackInfo& info) {
  glue::Args args(info, "childNamespace", 4);
  int pidfd, nstype;
  bool for_children, via_proc;
  if (!args || !args.Fd(0, &pidfd) || !args.Int(1, "nstype", 0, INT32_MAX, &nstype) ||
      !args.Bool(2, "forChildren", &for_children) || !args.Bool(3, "viaProc", &via_proc))
    return {};
  if (children_.find(pidfd) == children_.end()) return glue::Number(args.env(), -ESRCH);
  nsb_ns ns;
  int r = nsb_pidfd_namespace(pidfd, nstype, for_children, via_proc, &ns);
  return Owned(NsResult(args.env(), r, ns), r);
}

Napi::Value Addon::Related(const Napi::CallbackInfo& info) {
  glue::Args args(info, "related", 2);
  int fd;
  nsb_request req;
  if (!args || !args.Fd(0, &fd) || !Request(args, 1, &req)) return {};
  nsb_ns ns;
  int r = nsb_related(fd, req, &ns);
  return Owned(NsResult(args.env(), r, ns), r);
}

Napi::Value Addon::QueryInt(const Napi::CallbackInfo& info) {
  glue::Args args(info, "queryInt", 3);
  int fd, arg;
  nsb_request req;
  if (!args || !args.Fd(0, &fd) || !Request(args, 1, &req) || !args.Int(2, "arg", 0, INT32_MAX, &arg)) return {};
  return glue::Number(args.env(), nsb_query_int(fd, req, arg));
}

Napi::Value Addon::OwnerUid(const Napi::CallbackInfo& info) {
  glue::Args args(info, "ownerUid", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  uint32_t uid = 0;
  int r = nsb_owner_uid(fd, &uid);
  return glue::Number(args.env(), r < 0 ? static_cast<double>(r) : static_cast<double>(uid));
}

Napi::Value Addon::QueryU64(const Napi::CallbackInfo& info) {
  glue::Args args(info, "queryU64", 2);
  int fd;
  nsb_request req;
  if (!args || !args.Fd(0, &fd) || !Request(args, 1, &req)) return {};
  uint64_t v = 0;
  int r = nsb_query_u64(fd, req, &v);
  return r < 0 ? glue::Number(args.env(), r) : glue::BigInt(args.env(), v);
}

// [fd (-1 for NS_MNT_GET_INFO), nr_mounts, mnt_ns_id, type, dev, ino]
Napi::Value Addon::MntQuery(const Napi::CallbackInfo& info) {
  glue::Args args(info, "mntQuery", 2);
  int fd;
  nsb_request req;
  if (!args || !args.Fd(0, &fd) || !Request(args, 1, &req)) return {};
  napi_env env = args.env();
  nsb_mnt_info mi = {};
  nsb_ns ns = {-1, 0, 0, 0};
  int r = nsb_mnt_query(fd, req, &mi, &ns);
  if (r < 0) return glue::Number(env, r);
  Napi::Value a = glue::Out::Array(env)
                      .Set(0u, ns.fd)
                      .Set(1u, mi.nr_mounts)
                      .Set(2u, glue::BigInt(env, mi.mnt_ns_id))
                      .Set(3u, ns.type)
                      .Set(4u, static_cast<double>(ns.dev))
                      .Set(5u, static_cast<double>(ns.ino))
                      .Value();
  if (a.IsEmpty() && ns.fd >= 0) nsb_close(ns.fd);
  return Owned(a, ns.fd);
}

Napi::Value Addon::OpenCwd(const Napi::CallbackInfo& info) {
  glue::Args args(info, "openCwd", 0);
  if (!args) return {};
  int r = nsb_open_cwd();
  return Owned(glue::FdResult(args.env(), r), r);
}

Napi::Value Addon::Fchdir(const Napi::CallbackInfo& info) {
  glue::Args args(info, "fchdir", 1);
  int fd;
  if (!args || !args.Fd(0, &fd)) return {};
  return glue::Number(args.env(), nsb_fchdir(fd));
}

// [name, description] of a positive errno, or undefined when the C library has none.
Napi::Value Addon::ErrnoName(const Napi::CallbackInfo& info) {
  glue::Args args(info, "errnoName", 1);
  int err;
  if (!args || !args.Int(0, "errno", 0, INT32_MAX, &err)) return {};
  const char* name = nsb_errno_name(err);
  const char* description = nsb_errno_description(err);
  if (!name || !description) return glue::Undefined(args.env());
  return glue::Out::Array(args.env())
      .Set(0u, glue::Str(args.env(), name))
      .Set(1u, glue::Str(args.env(), description))
      .Value();
}

// The user name of a uid, or undefined when the C library knows none.
Napi::Value Addon::UserName(const Napi::CallbackInfo& info) {
  glue::Args args(info, "userName", 1);
  uint32_t uid;
  if (!args || !args.Int(0, "uid", 0, UINT32_MAX, &uid)) return {};
  char name[256];
  if (nsb_user_name(uid, name, sizeof(name)) < 0) return glue::Undefined(args.env());
  return glue::Str(args.env(), name);
}

NODE_API_ADDON(Addon)
