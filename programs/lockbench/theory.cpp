// SPDX-License-Identifier: GPL-2.0-only
#include "programs/lockbench/theory.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace programs::lockbench::theory {

double mg1_wait(double rho, double s, double cs2) {
  if (!(rho >= 0 && rho < 1)) throw std::domain_error("M/G/1 needs 0 <= rho < 1");
  return rho * s * (1 + cs2) / (2 * (1 - rho));
}

namespace {
// Normalise log-weights into probabilities (the products overflow doubles
// for a few hundred cores).
std::vector<double> normalise(const std::vector<double>& logw) {
  const double top = *std::max_element(logw.begin(), logw.end());
  std::vector<double> p(logw.size());
  double sum = 0;
  for (std::size_t k = 0; k < logw.size(); ++k) sum += p[k] = std::exp(logw[k] - top);
  for (double& x : p) x /= sum;
  return p;
}
}  // namespace

Closed machine_repairman(int n, double z, double s) {
  std::vector<double> logw{0.0};
  for (int k = 1; k <= n; ++k) logw.push_back(logw.back() + std::log(static_cast<double>(n - k + 1)) + std::log(s / z));
  const std::vector<double> p = normalise(logw);
  Closed c;
  c.utilization = 1 - p[0];
  c.throughput = c.utilization / s;
  c.response = n / c.throughput - z;
  c.queue = c.throughput * c.response;
  return c;
}

Closed mva(int n, double z, double s) {
  Closed c;
  double q = 0;
  for (int k = 1; k <= n; ++k) {
    c.response = s * (1 + q);
    c.throughput = k / (z + c.response);
    q = c.throughput * c.response;
  }
  c.queue = q;
  c.utilization = c.throughput * s;
  return c;
}

Chain lock_chain(int n, double a, const std::function<double(int)>& service) {
  std::vector<double> logw{0.0};
  for (int k = 1; k <= n; ++k)
    logw.push_back(logw.back() + std::log(static_cast<double>(n - k + 1) / a) + std::log(service(k)));
  Chain ch;
  ch.p = normalise(logw);
  ch.logw = logw;
  for (int k = 0; k <= n; ++k) ch.mean_in_lock += k * ch.p[k];
  ch.throughput = (n - ch.mean_in_lock) / a;
  return ch;
}

int modes(const Chain& ch) {
  const auto& w = ch.logw;
  int m = 0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const bool left = k == 0 || w[k] >= w[k - 1];
    const bool right = k + 1 == w.size() || w[k] > w[k + 1];
    m += left && right;
  }
  return m;
}

Chain bw_ticket(int n, double a, double s, double c) {
  return lock_chain(n, a, [=](int k) { return s + c * (k - 1) / 2.0; });
}

Chain bw_printed(int n, double a, double s, double c) {
  return lock_chain(n, a, [=](int k) { return s + c * k; });
}

}  // namespace programs::lockbench::theory
