// N-API glue for nsbind. The syscall logic lives in ns.c / spawn.c; this
// layer only converts values. Per-environment state lives in the Addon
// instance (napi_set_instance_data), so worker threads get their own.
#ifndef NSBIND_ADDON_H
#define NSBIND_ADDON_H

#include <napi.h>

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

 private:
  // namespace handles, unshare/setns, nsfs queries (addon.cc)
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Dup(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Unshare(const Napi::CallbackInfo& info);
  Napi::Value Setns(const Napi::CallbackInfo& info);
  Napi::Value PidfdOpen(const Napi::CallbackInfo& info);
  Napi::Value Related(const Napi::CallbackInfo& info);
  Napi::Value QueryInt(const Napi::CallbackInfo& info);
  Napi::Value OwnerUid(const Napi::CallbackInfo& info);
  Napi::Value QueryU64(const Napi::CallbackInfo& info);
  Napi::Value MntQuery(const Napi::CallbackInfo& info);
  Napi::Value OpenCwd(const Napi::CallbackInfo& info);
  Napi::Value Fchdir(const Napi::CallbackInfo& info);
  Napi::Value ErrnoName(const Napi::CallbackInfo& info);
  Napi::Value UserName(const Napi::CallbackInfo& info);
  // bind mounts that keep namespaces, /run/netns (mount.c)
  Napi::Value BindNs(const Napi::CallbackInfo& info);
  Napi::Value UmountDetach(const Napi::CallbackInfo& info);
  Napi::Value MakeSharedMountpoint(const Napi::CallbackInfo& info);
  Napi::Value BindNewNetns(const Napi::CallbackInfo& info);
};

#endif
