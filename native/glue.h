// The few checks every glue function uses, in one place. The glue trusts no
// caller: it checks the argument count, each argument's type and range, and
// every N-API status, and acts only on values it converted. A check that
// fails returns false with a TypeError or RangeError pending (or with nothing
// pending while a worker is being terminated: an exception cannot be thrown
// then, and must not abort the process); the glue function then returns {}
// at once. Results are built the same way: an empty value when any part of
// it could not be made.
#ifndef NSBIND_GLUE_H
#define NSBIND_GLUE_H

// node-addon-api would otherwise abort (napi_fatal_error) when napi_throw fails,
// which it does once a worker's termination has begun.
#ifndef NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#error "build the addon with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (binding.gyp)"
#endif

#include <napi.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace glue {

inline bool TypeError(napi_env env, const std::string& message) {
  napi_throw_type_error(env, nullptr, message.c_str());  // fails only while terminating: nothing to throw then
  return false;
}

inline bool RangeError(napi_env env, const std::string& message) {
  napi_throw_range_error(env, nullptr, message.c_str());
  return false;
}

inline bool Is(napi_env env, napi_value value, napi_valuetype type) {
  napi_valuetype actual;
  return value != nullptr && napi_typeof(env, value, &actual) == napi_ok && actual == type;
}

// An integer number (no coercion) in [min, max].
inline bool Int(napi_env env, napi_value value, const std::string& name, int64_t min, int64_t max, int64_t* out) {
  double d;
  if (!Is(env, value, napi_number) || napi_get_value_double(env, value, &d) != napi_ok)
    return TypeError(env, name + " must be a number");
  if (!(std::trunc(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max)))
    return RangeError(env, name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  *out = static_cast<int64_t>(d);
  return true;
}

template <typename T>
bool Int(napi_env env, napi_value value, const std::string& name, int64_t min, int64_t max, T* out) {
  int64_t v;
  if (!Int(env, value, name, min, max, &v)) return false;
  *out = static_cast<T>(v);
  return true;
}

inline bool Bool(napi_env env, napi_value value, const std::string& name, bool* out) {
  if (!Is(env, value, napi_boolean) || napi_get_value_bool(env, value, out) != napi_ok)
    return TypeError(env, name + " must be a boolean");
  return true;
}

// A string for C: UTF-8, without NUL bytes (C would stop reading at the first).
inline bool String(napi_env env, napi_value value, const std::string& name, std::string* out) {
  size_t length;
  if (!Is(env, value, napi_string) || napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok)
    return TypeError(env, name + " must be a string");
  out->resize(length);
  if (napi_get_value_string_utf8(env, value, out->data(), length + 1, &length) != napi_ok)
    return TypeError(env, name + " must be a string");
  if (std::strlen(out->c_str()) != length) return RangeError(env, name + " must not contain NUL bytes");
  return true;
}

// A Uint8Array (a Buffer): its bytes, valid while the array is alive and not detached.
inline bool Bytes(napi_env env, napi_value value, const std::string& name, const uint8_t** data, size_t* length) {
  bool is = false;
  napi_typedarray_type type;
  void* bytes;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, length, &bytes, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    return TypeError(env, name + " must be a Uint8Array");
  *data = static_cast<const uint8_t*>(bytes);
  return true;
}

// A property of an object (its getter may throw: then false, with that exception pending).
inline bool Get(napi_env env, napi_value object, const char* key, napi_value* out) {
  return napi_get_named_property(env, object, key, out) == napi_ok;
}

// An array of at most max elements (holes read as undefined).
inline bool Array(napi_env env, napi_value value, const std::string& name, uint32_t max, uint32_t* length) {
  bool is = false;
  if (napi_is_array(env, value, &is) != napi_ok || !is || napi_get_array_length(env, value, length) != napi_ok)
    return TypeError(env, name + " must be an array");
  if (*length > max) return RangeError(env, name + " must have at most " + std::to_string(max) + " elements");
  return true;
}

inline bool Element(napi_env env, napi_value array, uint32_t i, napi_value* out) {
  return napi_get_element(env, array, i, out) == napi_ok;
}

// One call's arguments: their count, then each by index, named "fn: what".
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), fn_(fn) {
    if (info.Length() != count)
      ok_ = TypeError(env(),
                      fn_ + ": expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
  }
  explicit operator bool() const { return ok_; }
  napi_env env() const { return info_.Env(); }

  template <typename T>
  bool Int(size_t i, const char* what, int64_t min, int64_t max, T* out) const {
    return glue::Int(env(), info_[i], Name(what), min, max, out);
  }
  bool Fd(size_t i, int* out) const { return Int(i, "fd", 0, INT32_MAX, out); }
  bool Bool(size_t i, const char* what, bool* out) const { return glue::Bool(env(), info_[i], Name(what), out); }
  bool String(size_t i, const char* what, std::string* out) const {
    return glue::String(env(), info_[i], Name(what), out);
  }
  bool Object(size_t i, const char* what, napi_value* out) const { return Of(i, what, napi_object, "an object", out); }
  // A Uint8Array (a Buffer): its bytes, valid during this call.
  bool Bytes(size_t i, const char* what, const uint8_t** data, size_t* length) const {
    return glue::Bytes(env(), info_[i], Name(what), data, length);
  }
  bool Function(size_t i, const char* what, napi_value* out) const {
    return Of(i, what, napi_function, "a function", out);
  }

 private:
  std::string Name(const char* what) const { return fn_ + ": " + what; }
  bool Of(size_t i, const char* what, napi_valuetype type, const char* kind, napi_value* out) const {
    if (!Is(env(), info_[i], type)) return TypeError(env(), Name(what) + " must be " + kind);
    *out = info_[i];
    return true;
  }
  const Napi::CallbackInfo& info_;
  std::string fn_;
  bool ok_ = true;
};

// Results. Each is empty (nullptr) when it could not be made.
inline Napi::Value Number(napi_env env, double value) {
  napi_value v;
  return Napi::Value(env, napi_create_double(env, value, &v) == napi_ok ? v : nullptr);
}

// A new fd of ours, or a negative errno; an fd that cannot be handed over is closed (nobody else would).
inline Napi::Value FdResult(napi_env env, int fd) {
  Napi::Value v = Number(env, fd);
  if (v.IsEmpty() && fd >= 0) close(fd);
  return v;
}

inline Napi::Value BigInt(napi_env env, uint64_t value) {
  napi_value v;
  return Napi::Value(env, napi_create_bigint_uint64(env, value, &v) == napi_ok ? v : nullptr);
}

inline Napi::Value Str(napi_env env, const char* value) {
  napi_value v;
  return Napi::Value(env, napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok ? v : nullptr);
}

// A new Buffer holding a copy of length bytes.
inline Napi::Value Buffer(napi_env env, const void* data, size_t length) {
  napi_value v;
  void* copy;
  return Napi::Value(env, napi_create_buffer_copy(env, length, data, &copy, &v) == napi_ok ? v : nullptr);
}

inline Napi::Value Undefined(napi_env env) {
  napi_value v;
  return Napi::Value(env, napi_get_undefined(env, &v) == napi_ok ? v : nullptr);
}

inline Napi::Value Null(napi_env env) {
  napi_value v;
  return Napi::Value(env, napi_get_null(env, &v) == napi_ok ? v : nullptr);
}

// An array or object filled value by value; once one cannot be made or set, Value() is empty.
class Out {
 public:
  static Out Array(napi_env env) {
    napi_value v;
    return Out(env, napi_create_array(env, &v) == napi_ok ? v : nullptr);
  }
  static Out Object(napi_env env) {
    napi_value v;
    return Out(env, napi_create_object(env, &v) == napi_ok ? v : nullptr);
  }
  Out& Set(uint32_t index, Napi::Value value) {
    if (value_ && (value.IsEmpty() || napi_set_element(env_, value_, index, value) != napi_ok)) value_ = nullptr;
    return *this;
  }
  Out& Set(const char* key, Napi::Value value) {
    if (value_ && (value.IsEmpty() || napi_set_named_property(env_, value_, key, value) != napi_ok)) value_ = nullptr;
    return *this;
  }
  Out& Set(uint32_t index, double number) { return Set(index, Number(env_, number)); }
  Out& Set(const char* key, double number) { return Set(key, Number(env_, number)); }
  Napi::Value Value() const { return Napi::Value(env_, value_); }

 private:
  Out(napi_env env, napi_value value) : env_(env), value_(value) {}
  napi_env env_;
  napi_value value_;
};

// After a callback from the event loop threw: report it as an uncaught exception, as
// Node does for its own callbacks (a no-op while the environment is being torn down).
inline void ReportUncaught(napi_env env) {
  bool pending = false;
  napi_value error;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &error) == napi_ok)
    napi_fatal_exception(env, error);
}

}  // namespace glue

#endif
