// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A small Paje reader for tests: checks that a trace file is well formed
// (every event uses a defined event type with the right number of fields,
// dates never go back, containers and types exist before they are used) and
// returns what is in it.
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace pajecheck {

struct EventDef {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;  // (name, type)
};

struct Event {
  std::string type;  // e.g. PajeSetVariable
  std::map<std::string, std::string> f;
  int line = 0;
};

struct Trace {
  std::vector<std::string> errors;
  std::vector<Event> events;
  std::map<std::string, std::string> container_names;  // alias -> name
  std::map<std::string, std::string> container_type;   // alias -> type alias
  std::map<std::string, std::string> type_names;       // alias -> name
};

inline std::vector<std::string> tokens(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    if (line[i] == '"') {
      const std::size_t j = line.find('"', i + 1);
      if (j == std::string::npos) return {"<unterminated quote>"};
      out.push_back(line.substr(i + 1, j - i - 1));
      i = j + 1;
    } else {
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      out.push_back(line.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

inline Trace parse(const std::string& text) {
  Trace t;
  std::map<std::string, EventDef> defs;  // id -> def
  std::istringstream in(text);
  std::string line;
  int n = 0;
  EventDef* open = nullptr;
  std::string open_id;
  double last_time = -1;
  std::set<std::string> containers{"0"};  // the root
  std::set<std::string> types{"0"};
  auto err = [&](const std::string& what) { t.errors.push_back("line " + std::to_string(n) + ": " + what); };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '%') {
      const auto tok = tokens(line.substr(1));
      if (tok.empty()) continue;
      if (tok[0] == "EventDef") {
        if (tok.size() != 3) err("bad %EventDef");
        else {
          open_id = tok[2];
          defs[open_id].name = tok[1];
          open = &defs[open_id];
        }
      } else if (tok[0] == "EndEventDef") {
        if (!open) err("%EndEventDef without %EventDef");
        open = nullptr;
      } else if (open && tok.size() == 2) {
        open->fields.emplace_back(tok[0], tok[1]);
      } else {
        err("unexpected header line");
      }
      continue;
    }
    if (open) err("event inside an %EventDef");
    const auto tok = tokens(line);
    auto it = defs.find(tok[0]);
    if (it == defs.end()) {
      err("undefined event id " + tok[0]);
      continue;
    }
    const EventDef& d = it->second;
    if (tok.size() != d.fields.size() + 1) {
      err(d.name + ": " + std::to_string(tok.size() - 1) + " fields, expected " + std::to_string(d.fields.size()));
      continue;
    }
    Event e;
    e.type = d.name;
    e.line = n;
    for (std::size_t i = 0; i < d.fields.size(); ++i) e.f[d.fields[i].first] = tok[i + 1];
    if (e.f.count("Time")) {
      const double time = std::stod(e.f["Time"]);
      if (time < last_time) err("time goes back: " + e.f["Time"]);
      last_time = time;
    }
    if (d.name.rfind("PajeDefine", 0) == 0 && d.name != "PajeDefineEntityValue") {
      if (!types.count(e.f["Type"])) err(d.name + " under undefined type " + e.f["Type"]);
      types.insert(e.f["Alias"]);
      t.type_names[e.f["Alias"]] = e.f["Name"];
    } else if (d.name == "PajeCreateContainer") {
      if (!types.count(e.f["Type"])) err("container of undefined type " + e.f["Type"]);
      if (!containers.count(e.f["Container"])) err("container in undefined container " + e.f["Container"]);
      containers.insert(e.f["Alias"]);
      t.container_names[e.f["Alias"]] = e.f["Name"];
      t.container_type[e.f["Alias"]] = e.f["Type"];
    } else if (e.f.count("Container")) {
      if (!containers.count(e.f["Container"])) err(d.name + " on undefined container " + e.f["Container"]);
      if (e.f.count("Type") && !types.count(e.f["Type"])) err(d.name + " of undefined type " + e.f["Type"]);
    }
    t.events.push_back(std::move(e));
  }
  if (open) t.errors.push_back("unterminated %EventDef");
  if (defs.empty()) t.errors.push_back("no %EventDef header");
  return t;
}

}  // namespace pajecheck
