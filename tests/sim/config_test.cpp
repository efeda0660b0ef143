// SPDX-License-Identifier: GPL-2.0-only
#include "sim/config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/atomic_file.hpp"
#include "sim/time.hpp"

namespace fs = std::filesystem;
using sim::config::Config;
using sim::config::ConfigError;
using sim::config::Schema;
using sim::config::Type;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string kData = std::string(AIOSIM_TEST_DATA) + "/config/";

Schema test_schema() {
  Schema s;
  s.add("seed", Type::Int, 1, "run seed").min(0);
  s.add("kioctx.lock", Type::String, "ticket", "ctx lock").choices({"ticket", "qspinlock", "tas"});
  s.add("kioctx.ring_entries", Type::Int, 128, "ring size").range(1, 65536);
  s.add("workload.threads", Type::Int, 4, "submitting threads").range(1, 1024);
  s.add("workload.service", Type::Distribution, "exp(20us)", "service time");
  s.add("workload.duration", Type::Duration, "2s", "run length").min(1);
  s.add("workload.load", Type::Float, 0.5, "offered load").range(0, 1);
  s.add("machine.cpus", Type::CpuList, "0-3", "CPUs").max(63);
  s.add("machine.smt", Type::Bool, false, "SMT on");
  s.add("output.formats", Type::StringList, toml::array{"json"}, "outputs").choices({"json", "csv"});
  s.add_optional("output.label", Type::String, "free-form label");
  s.add("machine.numa.nodes", Type::Int, 1, "NUMA nodes").min(1);
  s.add_map("layout", Type::String, "plot line names");
  return s;
}

// The what() of the ConfigError that `f` throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string err_str(std::string_view text, std::vector<std::string> sets = {}) {
  return error_of([&] { Config::from_string(test_schema(), text, "x.toml", sets); });
}

Config cfg_str(std::string_view text, std::vector<std::string> sets = {}) {
  return Config::from_string(test_schema(), text, "x.toml", sets);
}

}  // namespace

TEST_CASE("ConfigError formats FILE:LINE: KEY: message", "[config]") {
  CHECK(std::string(ConfigError("a.toml", 12, "kioctx.lock", "bad").what()) == "a.toml:12: kioctx.lock: bad");
  CHECK(std::string(ConfigError("a.toml", 0, "kioctx.lock", "bad").what()) == "a.toml: kioctx.lock: bad");
  CHECK(std::string(ConfigError("a.toml", 3, "", "bad").what()) == "a.toml:3: bad");
  const ConfigError e("--set", 0, "k", "m");
  CHECK(e.file == "--set");
  CHECK(e.line == 0);
  CHECK(e.key == "k");
  CHECK(e.message == "m");
}

TEST_CASE("load reads a file and fills defaults", "[config]") {
  const Config c = Config::load(test_schema(), kData + "basic.toml");
  CHECK(c.source_file() == kData + "basic.toml");
  CHECK(c.get_int("seed") == 42);
  CHECK(c.get_string("kioctx.lock") == "qspinlock");
  CHECK(c.get_int("kioctx.ring_entries") == 256);
  CHECK(c.get_int("workload.threads") == 8);
  CHECK(c.get_distribution("workload.service") == sim::Distribution::lognormal(20'000, 0.5));
  CHECK(c.get_duration_ps("workload.duration") == 1'500'000'000);
  CHECK(c.get_cpu_list("machine.cpus") == std::vector<int>{0, 1, 2, 3, 8});
  // File order, not alphabetical.
  CHECK(c.get_map("layout") == std::vector<std::pair<std::string, std::string>>{
                                   {"p99", "99th percentile"}, {"mean", "mean latency"}});
  // Defaults.
  CHECK(c.get_float("workload.load") == 0.5);
  CHECK(c.get_bool("machine.smt") == false);
  CHECK(c.get_string_list("output.formats") == std::vector<std::string>{"json"});
  CHECK(c.get_int("machine.numa.nodes") == 1);
  CHECK_FALSE(c.has("output.label"));
  CHECK(c.has("workload.load"));

  CHECK(c.is_set_explicitly("kioctx.lock"));
  CHECK(c.is_set_explicitly("layout.p99"));
  CHECK_FALSE(c.is_set_explicitly("workload.load"));
  CHECK_FALSE(c.is_set_explicitly("output.label"));
  CHECK_FALSE(c.is_set_explicitly("layout.p50"));
}

TEST_CASE("defaults fill an empty config", "[config]") {
  const Config c = Config::from_string(test_schema(), "", "empty.toml");
  CHECK(c.get_int("seed") == 1);
  CHECK(c.get_string("kioctx.lock") == "ticket");
  CHECK(c.get_int("workload.threads") == 4);
  CHECK(c.get_distribution("workload.service") == sim::Distribution::exponential(20'000));
  CHECK(c.get_duration_ps("workload.duration") == 2 * sim::kSec);
  CHECK(c.get_cpu_list("machine.cpus") == std::vector<int>{0, 1, 2, 3});
  CHECK(c.get_map("layout").empty());
  const Schema schema = test_schema();
  for (const auto& def : schema.keys())
    if (!def.is_map) CHECK_FALSE(c.is_set_explicitly(def.path));
}

TEST_CASE("programming errors are logic_error", "[config]") {
  const Config c = cfg_str("");
  CHECK_THROWS_AS(c.get_int("workload.thread"), std::logic_error);          // undeclared
  CHECK_THROWS_AS(c.get_string("workload.threads"), std::logic_error);      // wrong getter
  CHECK_THROWS_AS(c.get_float("workload.threads"), std::logic_error);
  CHECK_THROWS_AS(c.get_string("output.label"), std::logic_error);          // unset optional
  CHECK_THROWS_AS(c.get_map("kioctx"), std::logic_error);                   // not a map
  CHECK_THROWS_AS(c.is_set_explicitly("nope"), std::logic_error);
  CHECK_THROWS_AS(c.error_at("nope", "x"), std::logic_error);

  Schema s;
  s.add("a.b", Type::Int, 1, "");
  CHECK_THROWS_AS(s.add("a.b", Type::Int, 1, ""), std::logic_error);       // twice
  CHECK_THROWS_AS(s.add("a.b.c", Type::Int, 1, ""), std::logic_error);     // under a key
  CHECK_THROWS_AS(s.add("a", Type::Int, 1, ""), std::logic_error);         // is a section
  CHECK_THROWS_AS(s.add("a..c", Type::Int, 1, ""), std::logic_error);      // bad path
  s.add("a.c", Type::Int, 0, "").min(1);  // default out of its own range
  CHECK_THROWS_AS(Config::from_string(s, "", "x.toml"), std::logic_error);
}

TEST_CASE("unknown key names file, line and the closest key", "[config]") {
  const std::string path = kData + "typo.toml";
  try {
    Config::load(test_schema(), path);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == path + ":3: kioctx.lok: unknown key; did you mean \"kioctx.lock\"?");
    CHECK(e.file == path);
    CHECK(e.line == 3);
    CHECK(e.key == "kioctx.lok");
  }
  // An unknown section, reported at its header.
  CHECK(err_str("seed = 3\n\n[kioctxx]\nlock = \"tas\"\n") ==
        "x.toml:3: kioctxx: unknown key; did you mean \"kioctx\"?");
  // A transposition counts as one edit.
  CHECK(err_str("[workload]\ntrheads = 2\n") ==
        "x.toml:2: workload.trheads: unknown key; did you mean \"workload.threads\"?");
  // A key in the wrong section.
  CHECK(err_str("[machine]\nring_entries = 4\n") ==
        "x.toml:2: machine.ring_entries: unknown key; did you mean \"kioctx.ring_entries\"?");
  CHECK(err_str("frobnicate = 1\n") == "x.toml:1: frobnicate: unknown key");
  // Dotted keys and inline tables are checked the same way.
  CHECK(err_str("seed = 1\nkioctx.lokc = \"tas\"\n") ==
        "x.toml:2: kioctx.lokc: unknown key; did you mean \"kioctx.lock\"?");
  // The first problem in the file is the one reported.
  CHECK(err_str("zzz = 1\naaa = 2\n") == "x.toml:1: zzz: unknown key");
}

TEST_CASE("wrong type", "[config]") {
  CHECK(err_str("[workload]\nthreads = \"four\"\n") ==
        "x.toml:2: workload.threads: expected an integer, got string \"four\"");
  CHECK(err_str("[workload]\nthreads = 2.5\n") == "x.toml:2: workload.threads: expected an integer, got float 2.5");
  CHECK(err_str("[machine]\nsmt = \"yes\"\n") == "x.toml:2: machine.smt: expected a boolean, got string \"yes\"");
  CHECK(err_str("[kioctx]\nlock = 3\n") == "x.toml:2: kioctx.lock: expected a string, got integer 3");
  CHECK(err_str("[output]\nformats = \"json\"\n") ==
        "x.toml:2: output.formats: expected an array of strings, got string \"json\"");
  CHECK(err_str("[output]\nformats = [\"json\", 2]\n") ==
        "x.toml:2: output.formats: element 1: expected a string, got integer 2");
  CHECK(err_str("kioctx = 5\n") == "x.toml:1: kioctx: expected a table, got integer 5");
  CHECK(err_str("[layout]\np99 = 99\n") == "x.toml:2: layout.p99: expected a string, got integer 99");
  CHECK(err_str("layout = \"p99\"\n") == "x.toml:1: layout: expected a table of string values, got string \"p99\"");
  CHECK(err_str("[workload]\nservice = 20\n") ==
        "x.toml:2: workload.service: expected a distribution string such as \"exp(20us)\", got integer 20");
  // An integer is accepted where a float is expected.
  CHECK(cfg_str("[workload]\nload = 1\n").get_float("workload.load") == 1.0);
}

TEST_CASE("out of range", "[config]") {
  CHECK(err_str("[workload]\nthreads = 0\n") == "x.toml:2: workload.threads: expected a value in [1, 1024], got 0");
  CHECK(err_str("[workload]\nthreads = 1025\n") ==
        "x.toml:2: workload.threads: expected a value in [1, 1024], got 1025");
  CHECK(err_str("seed = -1\n") == "x.toml:1: seed: expected a value >= 0, got -1");
  CHECK(err_str("[workload]\nload = 1.5\n") == "x.toml:2: workload.load: expected a value in [0, 1], got 1.5");
  CHECK(err_str("[workload]\nload = nan\n") == "x.toml:2: workload.load: expected a finite number, got float nan");
  CHECK(err_str("", {"workload.load=-inf"}) == "--set: workload.load: expected a finite number, got float -inf");
  CHECK(err_str("[workload]\nduration = 0\n") ==
        "x.toml:2: workload.duration: expected a duration >= 1ns, got 0ns");
  CHECK(err_str("[machine]\ncpus = [0, 64]\n") == "x.toml:2: machine.cpus: expected CPU ids <= 63, got 64");
  // The bounds themselves are allowed.
  const Config c = cfg_str("[workload]\nthreads = 1024\nload = 0\n");
  CHECK(c.get_int("workload.threads") == 1024);
  CHECK(c.get_float("workload.load") == 0.0);
}

TEST_CASE("bad choice", "[config]") {
  CHECK(err_str("[kioctx]\nring_entries = 64\nlock = \"tiket\"\n") ==
        "x.toml:3: kioctx.lock: expected one of ticket, qspinlock, tas, got \"tiket\"");
  CHECK(err_str("[output]\nformats = [\"json\", \"xml\"]\n") ==
        "x.toml:2: output.formats: element 1: expected one of json, csv, got \"xml\"");
}

TEST_CASE("durations", "[config]") {
  CHECK(cfg_str("workload.duration = \"250ns\"").get_duration_ps("workload.duration") == 250'000);
  CHECK(cfg_str("workload.duration = \"20us\"").get_duration_ps("workload.duration") == 20'000'000);
  CHECK(cfg_str("workload.duration = \"1.5ms\"").get_duration_ps("workload.duration") == 1'500'000'000);
  CHECK(cfg_str("workload.duration = \"2s\"").get_duration_ps("workload.duration") == 2'000'000'000'000);
  // A unit is mandatory: a bare number could be ns or us. Zero needs none.
  CHECK(err_str("[workload]\nduration = 250\n") ==
        "x.toml:2: workload.duration: a duration needs a unit (ns, us, ms or s), got integer 250; did you mean \"250us\"?");
  CHECK_THAT(err_str("[workload]\nduration = \"250\"\n"),
             StartsWith("x.toml:2: workload.duration: invalid duration: a duration needs a unit") &&
                 Contains("did you mean '250us'?"));
  CHECK_THAT(err_str("", {"workload.duration=250"}), StartsWith("--set: workload.duration: a duration needs a unit"));
  CHECK_THAT(err_str("[workload]\nservice = \"exp(2)\"\n"),
             StartsWith("x.toml:2: workload.service: invalid distribution: a duration needs a unit") &&
                 Contains("did you mean '2us'?"));
  CHECK(cfg_str("[workload]\nthreads = 2\n", {"workload.duration=2us"}).get_duration_ps("workload.duration") == 2'000'000);

  CHECK_THAT(err_str("[workload]\nduration = \"5 parsecs\"\n"),
             StartsWith("x.toml:2: workload.duration: invalid duration: ") && Contains("5 parsecs"));
  CHECK_THAT(err_str("[workload]\nduration = \"-3ms\"\n"),
             StartsWith("x.toml:2: workload.duration: invalid duration: "));
  CHECK(err_str("[workload]\nduration = -5\n") == "x.toml:2: workload.duration: invalid duration: negative value -5");
  CHECK(err_str("[workload]\nduration = 1.5\n") ==
        "x.toml:2: workload.duration: expected a duration with its unit, such as \"250ns\" or \"1.5ms\", got float 1.5");
  CHECK_THAT(err_str("[workload]\nservice = \"expo(20us)\"\n"),
             StartsWith("x.toml:2: workload.service: invalid distribution: ") && Contains("expo(20us)"));

  using sim::config::format_duration;
  CHECK(format_duration(0) == "0ns");
  CHECK(format_duration(1) == "0.001ns");
  CHECK(format_duration(1'500) == "1.5ns");
  CHECK(format_duration(250'000) == "250ns");
  CHECK(format_duration(1'001'000) == "1.001us");
  CHECK(format_duration(20'000'000) == "20us");
  CHECK(format_duration(1'500'000'000) == "1.5ms");
  CHECK(format_duration(2'000'000'000'000) == "2s");
  CHECK(format_duration(90'000'000'000'000) == "90s");
  for (std::int64_t ps : {1LL, 1'500LL, 999'999LL, 1'234'567'891LL, 20'000'000LL, 3'600'000'000'000'000LL})
    CHECK(sim::from_ns(sim::parse_duration_ns(format_duration(ps))) == ps);
}

TEST_CASE("CPU lists", "[config]") {
  using sim::config::format_cpu_list;
  using sim::config::parse_cpu_list;
  CHECK(parse_cpu_list("0-3,8") == std::vector<int>{0, 1, 2, 3, 8});
  CHECK(parse_cpu_list(" 8, 0-3 ,2") == std::vector<int>{0, 1, 2, 3, 8});
  CHECK(parse_cpu_list("5") == std::vector<int>{5});
  CHECK(parse_cpu_list("").empty());
  CHECK_THROWS_AS(parse_cpu_list("3-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cpu_list("0,,1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cpu_list("a"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cpu_list("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cpu_list("0-"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cpu_list("0-4000000000"), std::invalid_argument);
  CHECK(format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
  CHECK(format_cpu_list({}) == "");

  CHECK(cfg_str("machine.cpus = [3, 1, 3]").get_cpu_list("machine.cpus") == std::vector<int>{1, 3});
  CHECK(cfg_str("machine.cpus = \"40-42,32\"").get_cpu_list("machine.cpus") == std::vector<int>{32, 40, 41, 42});
  CHECK(err_str("[machine]\ncpus = \"3-1\"\n") ==
        "x.toml:2: machine.cpus: invalid CPU list \"3-1\": range \"3-1\" is reversed (start > end)");
  CHECK(err_str("[machine]\ncpus = [0, \"x\"]\n") ==
        "x.toml:2: machine.cpus: CPU list element 1: expected an integer, got string \"x\"");
  CHECK(err_str("[machine]\ncpus = [-1]\n") == "x.toml:2: machine.cpus: invalid CPU list: negative CPU id -1");
}

TEST_CASE("overrides given with --set win over the file", "[config]") {
  const Config c = Config::load(test_schema(), kData + "basic.toml",
                                {"kioctx.lock=tas", "workload.threads = 16", "workload.duration=250us",
                                 "machine.cpus=[1,2]", "machine.smt=true", "layout.p50=median",
                                 "layout.p99=tail", "output.label=2024", "output.formats=[\"csv\", \"json\"]",
                                 "workload.service=const(1us)"});
  CHECK(c.get_string("kioctx.lock") == "tas");
  CHECK(c.get_int("workload.threads") == 16);
  CHECK(c.get_duration_ps("workload.duration") == 250 * sim::kUs);
  CHECK(c.get_cpu_list("machine.cpus") == std::vector<int>{1, 2});
  CHECK(c.get_bool("machine.smt"));
  CHECK(c.get_string("output.label") == "2024");  // string keys take the raw text
  CHECK(c.get_string_list("output.formats") == std::vector<std::string>{"csv", "json"});
  CHECK(c.get_distribution("workload.service") == sim::Distribution::constant(1'000));
  // An existing map entry keeps its place; a new one goes last.
  CHECK(c.get_map("layout") == std::vector<std::pair<std::string, std::string>>{
                                   {"p99", "tail"}, {"mean", "mean latency"}, {"p50", "median"}});
  CHECK(c.get_int("seed") == 42);  // untouched file value
  CHECK(c.is_set_explicitly("machine.smt"));

  // Later --set wins; a quoted TOML string works too.
  const Config d = cfg_str("", {"output.label=\"a b\"", "seed=5", "seed=6"});
  CHECK(d.get_string("output.label") == "a b");
  CHECK(d.get_int("seed") == 6);
  // A --set satisfies a required key.
  Schema s = test_schema();
  s.add_required("run.name", Type::String, "run name");
  CHECK(error_of([&] { Config::from_string(s, "", "x.toml"); }) == "x.toml: run.name: required key is missing");
  CHECK(Config::from_string(s, "", "x.toml", {"run.name=baseline"}).get_string("run.name") == "baseline");
}

TEST_CASE("errors in --set name --set and the key", "[config]") {
  CHECK(err_str("", {"kioctx.lok=tas"}) == "--set: kioctx.lok: unknown key; did you mean \"kioctx.lock\"?");
  CHECK(err_str("", {"kioctx.lock=tiket"}) == "--set: kioctx.lock: expected one of ticket, qspinlock, tas, got \"tiket\"");
  CHECK(err_str("", {"workload.threads=many"}) == "--set: workload.threads: expected an integer, got string \"many\"");
  CHECK(err_str("", {"workload.threads=0"}) == "--set: workload.threads: expected a value in [1, 1024], got 0");
  CHECK(err_str("", {"kioctx.lock"}) == "--set: kioctx.lock: expected key=value, got \"kioctx.lock\"");
  CHECK(err_str("", {"kioctx lock=tas"}) == "--set: kioctx lock: invalid key (dotted names of A-Z a-z 0-9 _ -)");
  // Errors in the file come before those of --set.
  CHECK(err_str("seed = -1\n", {"nope=1"}) == "x.toml:1: seed: expected a value >= 0, got -1");
}

TEST_CASE("error_at points at where a key was set", "[config]") {
  const Config c =
      Config::from_string(test_schema(), "seed = 3\n[kioctx]\nring_entries = 64\n", "x.toml", {"workload.threads=128"});
  CHECK(std::string(c.error_at("kioctx.ring_entries", "queue depth 128 exceeds ring size 64").what()) ==
        "x.toml:3: kioctx.ring_entries: queue depth 128 exceeds ring size 64");
  CHECK(std::string(c.error_at("workload.threads", "too many").what()) == "--set: workload.threads: too many");
  CHECK(std::string(c.error_at("workload.load", "bad").what()) == "x.toml: workload.load: bad");  // defaulted
  const ConfigError e = c.error_at("kioctx.ring_entries", "m");
  CHECK(e.line == 3);
  CHECK(e.key == "kioctx.ring_entries");
}

TEST_CASE("to_json has every key in declaration order", "[config]") {
  CHECK(cfg_str("").to_json().dump() ==
        R"j({"seed":1,"kioctx":{"lock":"ticket","ring_entries":128},)j"
        R"j("workload":{"threads":4,"service":"exp(20us)","duration":"2s","load":0.5},)j"
        R"j("machine":{"cpus":[0,1,2,3],"smt":false,"numa":{"nodes":1}},)j"
        R"j("output":{"formats":["json"],"label":null},"layout":{}})j");
  const Config c = Config::load(test_schema(), kData + "basic.toml", {"output.label=x"});
  const auto j = c.to_json();
  CHECK(j["workload"]["duration"] == "1.5ms");
  CHECK(j["workload"]["service"] == "lognormal(20us,0.5)");
  CHECK(j["machine"]["cpus"].dump() == "[0,1,2,3,8]");
  CHECK(j["layout"].dump() == R"({"p99":"99th percentile","mean":"mean latency"})");
  CHECK(j["output"]["label"] == "x");
}

TEST_CASE("to_toml reloads to equal values", "[config]") {
  CHECK(cfg_str("").to_toml() ==
        "seed = 1\n"
        "\n[kioctx]\nlock = \"ticket\"\nring_entries = 128\n"
        "\n[workload]\nthreads = 4\nservice = \"exp(20us)\"\nduration = \"2s\"\nload = 0.5\n"
        "\n[machine]\ncpus = \"0-3\"\nsmt = false\n"
        "\n[output]\nformats = [\"json\"]\n"
        "\n[machine.numa]\nnodes = 1\n");

  const Config c = Config::from_string(test_schema(),
                                       "seed = 7\n"
                                       "[workload]\nload = 1\nduration = \"1234567ns\"\n"
                                       "service = \"uniform(1us,3us)\"\n"
                                       "[machine]\ncpus = [8, 0, 1, 2, 3, 10]\nsmt = true\n"
                                       "[output]\nlabel = \"quote \\\" and\\nnewline\"\nformats = []\n"
                                       "[layout]\n\"p 99.9\" = \"x\"\nmean = \"m\"\n",
                                       "c.toml", {"kioctx.lock=tas"});
  const std::string text = c.to_toml();
  const Config r = Config::from_string(test_schema(), text, "reload.toml");
  CHECK(r.to_json() == c.to_json());
  CHECK(r.to_toml() == text);
  CHECK(r.get_string("output.label") == "quote \" and\nnewline");
  CHECK(r.get_float("workload.load") == 1.0);
  CHECK_THAT(text, Contains("load = 1.0\n"));
  CHECK(r.get_duration_ps("workload.duration") == 1'234'567'000);
  CHECK(r.get_cpu_list("machine.cpus") == std::vector<int>{0, 1, 2, 3, 8, 10});
  CHECK(r.get_map("layout") == std::vector<std::pair<std::string, std::string>>{{"p 99.9", "x"}, {"mean", "m"}});
  CHECK_THAT(text, Contains("[layout]\n\"p 99.9\" = \"x\"\nmean = \"m\"\n"));
  CHECK_THAT(text, Contains("cpus = \"0-3,8,10\"\n"));
  CHECK(r.get_distribution("workload.service") == c.get_distribution("workload.service"));
}

TEST_CASE("TOML syntax errors carry the parser's line", "[config]") {
  const std::string path = kData + "syntax.toml";
  try {
    Config::load(test_schema(), path);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.line == 3);
    CHECK(e.key.empty());
    CHECK_THAT(std::string(e.what()), StartsWith(path + ":3: "));
  }
  CHECK_THAT(err_str("seed = 1\nseed = 2\n"), StartsWith("x.toml:2: "));
  CHECK(error_of([] { Config::load(test_schema(), kData + "missing.toml"); }) ==
        kData + "missing.toml: cannot open: No such file or directory");
  CHECK(error_of([] { Config::load(test_schema(), AIOSIM_TEST_DATA); }) ==
        std::string(AIOSIM_TEST_DATA) + ": cannot read: Is a directory");
}

// ---------------------------------------------------------------------------

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("aiosim_atomic_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("write_file_atomically writes and replaces", "[atomic_file]") {
  TempDir t;
  const fs::path f = t.path / "result.json";
  sim::write_file_atomically(f, "first\n");
  CHECK(slurp(f) == "first\n");
  sim::write_file_atomically(f, std::string("sec\0ond", 7));
  CHECK(slurp(f) == std::string("sec\0ond", 7));
  sim::write_file_atomically(f, "");
  CHECK(slurp(f).empty());
  CHECK(t.entries() == std::vector<std::string>{"result.json"});  // no temp files left
}

TEST_CASE("write_file_atomically failures throw and leave nothing", "[atomic_file]") {
  TempDir t;
  // Parent directory missing: the temp file cannot even be created.
  const fs::path f = t.path / "no_such_dir" / "out.txt";
  try {
    sim::write_file_atomically(f, "x");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(std::string(e.what()), Contains(f.string()) && Contains("No such file or directory"));
  }
  CHECK(t.entries().empty());

  // The target is a directory: the temp file is written, the rename fails,
  // and the temp file must be removed.
  fs::create_directory(t.path / "target");
  try {
    sim::write_file_atomically(t.path / "target", "x");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(std::string(e.what()), Contains((t.path / "target").string()) && Contains("rename"));
  }
  CHECK(t.entries() == std::vector<std::string>{"target"});
  CHECK(fs::is_empty(t.path / "target"));
}

TEST_CASE("OutputDir creates directories", "[atomic_file]") {
  TempDir t;
  const fs::path d = t.path / "a" / "b";
  sim::OutputDir::ensure(d);
  CHECK(fs::is_directory(d));
  sim::OutputDir::ensure(d);  // already there: fine
  const sim::OutputDir out(t.path / "c");
  out.write("summary.json", "{}");
  CHECK(slurp(t.path / "c" / "summary.json") == "{}");
  CHECK(out.file("x") == t.path / "c" / "x");

  sim::write_file_atomically(t.path / "file", "x");
  CHECK_THROWS_AS(sim::OutputDir::ensure(t.path / "file"), std::runtime_error);
  CHECK_THROWS_AS(sim::OutputDir::ensure(t.path / "file" / "sub"), std::runtime_error);
}

namespace {

// A file with nested sections: steps ([[step]]), named workers
// ([worker.NAME]) and an open tree of raw values ([vary], where a table
// holding "from" is one value).
Schema nested_schema() {
  Schema step;
  step.add_required("action", Type::String, "what the step does").choices({"go", "stop"});
  step.add("cpu", Type::Int, 0, "where").range(0, 3);
  Schema worker;
  worker.add_required("cpu", Type::Int, "where").range(0, 3);
  worker.add_optional("label", Type::String, "a name to print");
  Schema s;
  s.add("name", Type::String, "", "free text");
  s.add_table_array("step", std::move(step), "steps in order");
  s.add_table_set("worker", std::move(worker), "workers by name");
  s.add_tree("vary", "raw values", {"from"});
  return s;
}

Config nested(std::string_view text, std::vector<std::string> sets = {}) {
  return Config::from_string(nested_schema(), text, "n.toml", sets);
}

std::string nested_err(std::string_view text, std::vector<std::string> sets = {}) {
  return error_of([&] { nested(text, sets); });
}

}  // namespace

TEST_CASE("table arrays: each table checked against its schema, keys named step[i].key", "[config]") {
  const Config c = nested("[[step]]\naction = \"go\"\ncpu = 2\n[[step]]\naction = \"stop\"\n");
  const auto& steps = c.get_table_array("step");
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].get_string("action") == "go");
  CHECK(steps[0].get_int("cpu") == 2);
  CHECK(steps[1].get_int("cpu") == 0);  // the default
  CHECK(steps[1].line() == 4);          // its [[step]] header
  CHECK(nested("").get_table_array("step").empty());
  // Errors: line of the value, key with its index; a missing key at the table's header.
  CHECK(nested_err("[[step]]\naction = \"go\"\n[[step]]\naction = \"go\"\ncpu = 9\n") ==
        "n.toml:5: step[1].cpu: expected a value in [0, 3], got 9");
  CHECK(nested_err("[[step]]\naction = \"go\"\n[[step]]\ncpu = 1\n") == "n.toml:3: step[1].action: required key is missing");
  CHECK(nested_err("[[step]]\nactoin = \"go\"\n") == "n.toml:2: step[0].actoin: unknown key; did you mean \"step[0].action\"?");
  CHECK(nested_err("step = 3\n") == "n.toml:1: step: expected an array of tables ([[step]] entries), got integer 3");
  // error_at inside a table: the full key; a defaulted key points at the header.
  const Config d = nested("name = \"x\"\n[[step]]\naction = \"go\"\n");
  CHECK(std::string(d.get_table_array("step")[0].error_at("cpu", "busy").what()) == "n.toml:2: step[0].cpu: busy");
  CHECK(std::string(d.get_table_array("step")[0].error_at("action", "no").what()) == "n.toml:3: step[0].action: no");
}

TEST_CASE("table sets: named tables in file order; --set changes one or adds one", "[config]") {
  const std::string text = "[worker.zed]\ncpu = 1\n[worker.alpha]\ncpu = 2\nlabel = \"a\"\n";
  const Config c = nested(text, {"worker.alpha.cpu=3", "worker.mid.cpu=0"});
  const auto& w = c.get_table_set("worker");
  REQUIRE(w.size() == 3);
  CHECK(w[0].first == "zed");  // file order, not name order
  CHECK(w[1].first == "alpha");
  CHECK(w[1].second.get_int("cpu") == 3);  // --set wins
  CHECK(w[1].second.get_string("label") == "a");
  CHECK(w[2].first == "mid");  // added by --set, after the file's
  CHECK_FALSE(w[2].second.has("label"));
  CHECK(std::string(w[1].second.error_at("cpu", "taken").what()) == "--set: worker.alpha.cpu: taken");
  CHECK(std::string(w[0].second.error_at("cpu", "taken").what()) == "n.toml:2: worker.zed.cpu: taken");
  CHECK(nested_err(text, {"worker.alpha.cpu=7"}) == "--set: worker.alpha.cpu: expected a value in [0, 3], got 7");
  CHECK(nested_err("[worker.a]\nlabel = \"x\"\n") == "n.toml:1: worker.a.cpu: required key is missing");
  CHECK(nested_err("[worker]\na = 1\n") == "n.toml:2: worker.a: expected a table, got integer 1");
}

TEST_CASE("open trees keep located raw values; a table holding a leaf key is one value", "[config]") {
  const Config c = nested("[vary]\nb.x = [1, 2]\na = {from = 1, to = 4}\n[vary.c]\nd = \"s\"\n");
  const auto& t = c.get_tree("vary");
  REQUIRE(t.size() == 3);
  CHECK(t[0].path == "b.x");
  CHECK(t[0].line == 2);
  CHECK(t[0].node->as_array()->size() == 2);
  CHECK(t[1].path == "a");  // a range table: one leaf
  CHECK(t[1].node->is_table());
  CHECK(t[2].path == "c.d");
  CHECK(t[2].line == 5);
  CHECK(t[2].file == "n.toml");
  CHECK(nested("").get_tree("vary").empty());
  CHECK(nested_err("vary = 1\n") == "n.toml:1: vary: expected a table, got integer 1");
}

TEST_CASE("nested sections are declared once, and nothing beside a root tree", "[config]") {
  Schema s;
  s.add_table_set("worker", Schema{}, "x");
  CHECK_THROWS_AS(s.add("worker", Type::Int, 1, "again"), std::logic_error);
  CHECK_THROWS_AS(s.add("worker.cpu", Type::Int, 1, "under it"), std::logic_error);
  Schema r;
  r.add_tree("", "every key");
  CHECK_THROWS_AS(r.add("x", Type::Int, 1, "beside"), std::logic_error);
  CHECK(nested("").get_table_set("worker").empty());
  CHECK_THROWS_AS(nested("").get_tree("worker"), std::logic_error);  // not a tree
}

TEST_CASE("line_of gives an array element's own line", "[config]") {
  const Config c = cfg_str("[output]\nformats = [\n  \"json\",\n  \"csv\",\n]\n");
  CHECK(c.line_of("output.formats") == 2);
  CHECK(c.line_of("output.formats", 1) == 4);
  CHECK(c.line_of("output.formats", 9) == 2);  // no such element: the key's line
  CHECK(cfg_str("", {"output.formats=[\"csv\"]"}).line_of("output.formats", 0) == 0);  // --set has no line
  CHECK(cfg_str("").line_of("output.formats", 0) == 0);                                  // defaulted
}
