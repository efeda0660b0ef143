// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// For the sweep tests: the CSV files a sweep writes, read back. The scratch
// directory, files and aiosim runs are tests/support/cli.hpp's.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli.hpp"

namespace sweeptest {

using namespace clitest;

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Splits one CSV record (fields may be quoted, with "" for a quote).
inline std::vector<std::string> csv_row(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// A CSV file as rows of column -> value.
inline std::vector<std::map<std::string, std::string>> read_csv(const fs::path& p) {
  const auto ls = lines(read_file(p));
  REQUIRE(!ls.empty());
  const auto head = csv_row(ls[0]);
  std::vector<std::map<std::string, std::string>> rows;
  for (std::size_t i = 1; i < ls.size(); ++i) {
    const auto f = csv_row(ls[i]);
    REQUIRE(f.size() == head.size());
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < f.size(); ++k) row[head[k]] = f[k];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace sweeptest
