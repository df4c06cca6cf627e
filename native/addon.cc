#include "addon.h"

#include "mount.h"
#include "ns.h"

namespace {

// Results cross into JS as a number (>= 0 result, < 0 negative errno) or,
// for handles, as [fd, type, dev, ino]. JS turns negatives into errors.
Napi::Value NsResult(Napi::Env env, int r, const nsb_ns& ns) {
  if (r < 0) return Napi::Number::New(env, r);
  Napi::Array a = Napi::Array::New(env, 4);
  a.Set(0u, Napi::Number::New(env, ns.fd));
  a.Set(1u, Napi::Number::New(env, ns.type));
  a.Set(2u, Napi::Number::New(env, static_cast<double>(ns.dev)));
  a.Set(3u, Napi::Number::New(env, static_cast<double>(ns.ino)));
  return a;
}

int Int(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

std::string Str(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

nsb_request Req(const Napi::CallbackInfo& info, size_t i) { return static_cast<nsb_request>(Int(info, i)); }

Napi::Object Requests(Napi::Env env) {
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
  Napi::Object out = Napi::Object::New(env);
  for (int i = 0; i < NSB_REQUEST_COUNT; i++) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", i);
    r.Set("value", static_cast<double>(nsb_request_value(static_cast<nsb_request>(i))));
    out.Set(names[i], r);
  }
  return out;
}

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) : env_(env) {
  napi_add_async_cleanup_hook(env, Teardown, this, nullptr);
  DefineAddon(exports, {
                           InstanceMethod("open", &Addon::Open),
                           InstanceMethod("dup", &Addon::Dup),
                           InstanceMethod("close", &Addon::Close),
                           InstanceMethod("unshare", &Addon::Unshare),
                           InstanceMethod("setns", &Addon::Setns),
                           InstanceMethod("pidfdOpen", &Addon::PidfdOpen),
                           InstanceMethod("related", &Addon::Related),
                           InstanceMethod("queryInt", &Addon::QueryInt),
                           InstanceMethod("ownerUid", &Addon::OwnerUid),
                           InstanceMethod("queryU64", &Addon::QueryU64),
                           InstanceMethod("mntQuery", &Addon::MntQuery),
                           InstanceMethod("openCwd", &Addon::OpenCwd),
                           InstanceMethod("fchdir", &Addon::Fchdir),
                           InstanceMethod("errnoName", &Addon::ErrnoName),
                           InstanceMethod("spawn", &Addon::Spawn),
                           InstanceMethod("kill", &Addon::Kill),
                           InstanceMethod("ref", &Addon::Ref),
                           InstanceMethod("pipe", &Addon::Pipe),
                           InstanceMethod("openDevNull", &Addon::OpenDevNull),
                           InstanceMethod("userName", &Addon::UserName),
                           InstanceMethod("bindNs", &Addon::BindNs),
                           InstanceMethod("umountDetach", &Addon::UmountDetach),
                           InstanceMethod("makeSharedMountpoint", &Addon::MakeSharedMountpoint),
                           InstanceMethod("bindNewNetns", &Addon::BindNewNetns),
                           InstanceMethod("socketAt", &Addon::SocketAt),
                           InstanceMethod("netlinkOpen", &Addon::NetlinkOpen),
                           InstanceMethod("netlinkRequest", &Addon::NetlinkRequest),
                           InstanceMethod("bindSocket", &Addon::BindSocket),
                           InstanceMethod("connectSocket", &Addon::ConnectSocket),
                           InstanceMethod("socketNetns", &Addon::SocketNetns),
                           InstanceMethod("lookup", &Addon::Lookup),
                           InstanceValue("requests", Requests(env), napi_enumerable),
                           InstanceValue("steps", StepNames(env), napi_enumerable),
                       });
}

Addon::~Addon() = default;

Napi::Value Addon::Open(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  nsb_ns ns;
  return NsResult(info.Env(), nsb_open(path.c_str(), &ns), ns);
}

Napi::Value Addon::Dup(const Napi::CallbackInfo& info) {
  nsb_ns ns;
  return NsResult(info.Env(), nsb_dup(Int(info, 0), &ns), ns);
}

Napi::Value Addon::Close(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_close(Int(info, 0)));
}

Napi::Value Addon::Unshare(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_unshare(Int(info, 0)));
}

Napi::Value Addon::Setns(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_setns(Int(info, 0), Int(info, 1)));
}

Napi::Value Addon::PidfdOpen(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_pidfd_open(Int(info, 0)));
}

Napi::Value Addon::Related(const Napi::CallbackInfo& info) {
  nsb_ns ns;
  return NsResult(info.Env(), nsb_related(Int(info, 0), Req(info, 1), &ns), ns);
}

Napi::Value Addon::QueryInt(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_query_int(Int(info, 0), Req(info, 1), Int(info, 2)));
}

Napi::Value Addon::OwnerUid(const Napi::CallbackInfo& info) {
  uint32_t uid = 0;
  int r = nsb_owner_uid(Int(info, 0), &uid);
  return Napi::Number::New(info.Env(), r < 0 ? static_cast<double>(r) : static_cast<double>(uid));
}

Napi::Value Addon::QueryU64(const Napi::CallbackInfo& info) {
  uint64_t v = 0;
  int r = nsb_query_u64(Int(info, 0), Req(info, 1), &v);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  return Napi::BigInt::New(info.Env(), v);
}

// [fd (-1 for NS_MNT_GET_INFO), nr_mounts, mnt_ns_id, type, dev, ino]
Napi::Value Addon::MntQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  nsb_mnt_info mi = {};
  nsb_ns ns = {-1, 0, 0, 0};
  int r = nsb_mnt_query(Int(info, 0), Req(info, 1), &mi, &ns);
  if (r < 0) return Napi::Number::New(env, r);
  Napi::Array a = Napi::Array::New(env, 6);
  a.Set(0u, Napi::Number::New(env, ns.fd));
  a.Set(1u, Napi::Number::New(env, mi.nr_mounts));
  a.Set(2u, Napi::BigInt::New(env, mi.mnt_ns_id));
  a.Set(3u, Napi::Number::New(env, ns.type));
  a.Set(4u, Napi::Number::New(env, static_cast<double>(ns.dev)));
  a.Set(5u, Napi::Number::New(env, static_cast<double>(ns.ino)));
  return a;
}

Napi::Value Addon::OpenCwd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), nsb_open_cwd()); }

Napi::Value Addon::Fchdir(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_fchdir(Int(info, 0)));
}

// [name, description] of a positive errno, or undefined when the C library has none.
Napi::Value Addon::ErrnoName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int err = Int(info, 0);
  const char* name = nsb_errno_name(err);
  const char* description = nsb_errno_description(err);
  if (!name || !description) return env.Undefined();
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::String::New(env, name));
  a.Set(1u, Napi::String::New(env, description));
  return a;
}

// The user name of a uid, or undefined when the C library knows none.
Napi::Value Addon::UserName(const Napi::CallbackInfo& info) {
  char name[256];
  if (nsb_user_name(info[0].As<Napi::Number>().Uint32Value(), name, sizeof(name)) < 0) return info.Env().Undefined();
  return Napi::String::New(info.Env(), name);
}

Napi::Value Addon::BindNs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_bind_ns(Int(info, 0), Str(info, 1).c_str()));
}

Napi::Value Addon::UmountDetach(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_umount_detach(Str(info, 0).c_str()));
}

Napi::Value Addon::MakeSharedMountpoint(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_make_shared_mountpoint(Str(info, 0).c_str()));
}

Napi::Value Addon::BindNewNetns(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nsb_bind_new_netns(Str(info, 0).c_str()));
}

NODE_API_ADDON(Addon)
