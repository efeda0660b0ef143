// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: sweep specs (the reader, the plan with its per-point
// config checks against the schema) and the constraint language. Bad input
// must end in sim::config::ConfigError (the spec) or sweep::ExprError.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "programs/aio/schema.hpp"
#include "sim/config.hpp"
#include "app/sweep/expr.hpp"
#include "app/sweep/spec.hpp"

#ifndef AIOSIM_EXPERIMENTS
#error "AIOSIM_EXPERIMENTS must name experiments/"
#endif

namespace {

// A scratch directory with the base config next to where the spec goes:
// specs name "../mixed.toml" or "mixed.toml".
std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "aiosim-fuzz-sweep-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) __builtin_trap();
    const std::filesystem::path d = tmpl;
    std::filesystem::create_directories(d / "paper");
    std::filesystem::copy_file(std::filesystem::path(AIOSIM_EXPERIMENTS) / "mixed.toml", d / "mixed.toml");
    std::filesystem::copy_file(std::filesystem::path(AIOSIM_EXPERIMENTS) / "mixed.toml", d / "paper" / "mixed.toml");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::set<std::string, std::less<>> names = {"workload.batch", "kioctx.design", "x"};
  try {
    const sweep::Expr e = sweep::Expr::parse(text, names);
    const sweep::ExprValue batch = 4.0, design = std::string("mm-parent"), x = true;
    (void)e.eval([&](const std::string& n) -> const sweep::ExprValue& {
      return n == "workload.batch" ? batch : n == "kioctx.design" ? design : x;
    });
  } catch (const sweep::ExprError&) {
  }

  const std::filesystem::path spec = scratch() / "paper" / "spec.toml";
  {
    std::ofstream out(spec, std::ios::binary | std::ios::trunc);
    out << text;
  }
  try {
    const sweep::Spec s = sweep::load_spec(spec.string());
    // The plan loads one config per grid point: keep each input quick.
    std::size_t points = 1;
    for (const sweep::Axis& a : s.axes) points *= std::max<std::size_t>(1, a.values.size());
    if (points * static_cast<std::size_t>(s.replications) <= 64)
      (void)sweep::make_plan(s, [](const std::string&, const std::vector<std::string>&) -> const sim::config::Schema& {
        return programs::aio::run_schema();
      });
  } catch (const sim::config::ConfigError&) {
  }
  return 0;
}
