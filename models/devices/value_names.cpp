// SPDX-License-Identifier: GPL-2.0-only
#include "models/devices/value_names.hpp"

#include <cstring>
#include <string_view>

#include "models/aio/kernel_types.hpp"
#include "models/devices/async_cancel_device.hpp"
#include "models/devices/usb_gadget.hpp"
#include "sim/value_names.hpp"

namespace models {

namespace {

// "kiocb3->ki_cancel" -> "ki_cancel"; "ctx->ki_list.next" -> "ki_list.next".
std::string_view field_of(const char* what) {
  std::string_view w(what);
  if (const auto arrow = w.rfind("->"); arrow != std::string_view::npos) w.remove_prefix(arrow + 2);
  return w;
}

}  // namespace

std::string kernel_value_name(const char* what, std::int64_t v) {
  if (!what) return "";
  const std::string_view f = field_of(what);
  const auto p = static_cast<std::uintptr_t>(v);
  if (f == "ki_cancel") {
    // include/linux/aio.h (the seed): #define KIOCB_CANCELLED ((void *) (~0ULL))
    if (p == 0) return "NULL";
    if (p == reinterpret_cast<std::uintptr_t>(KIOCB_CANCELLED)) return "KIOCB_CANCELLED";
    if (p == reinterpret_cast<std::uintptr_t>(&UsbGadget::ep_aio_cancel)) return "ep_aio_cancel";
    if (p == reinterpret_cast<std::uintptr_t>(&AsyncCancelDevice::acdev_cancel)) return "acdev_cancel";
    return "(cancel fn)";
  }
  if (f == "ki_list.next") {
    switch (static_cast<ListNext>(v)) {
      case ListNext::Null: return "NULL";
      case ListNext::Linked: return "(listed)";
      case ListNext::Poison: return "LIST_POISON1";
      case ListNext::Self: return "(self)";
    }
  }
  // The model's user iocb pointer is the ledger's request id: print it as the
  // violation headlines do ("request 1000727380278").
  if (f == "ki_obj.user") return std::to_string(v);
  return "";
}

void install_kernel_value_names() { sim::set_value_namer(&kernel_value_name); }

}  // namespace models
