// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Closed-form and numerical results the lock micro-benchmark is checked
// against (aiosim validate). Times in any one unit; rates in its inverse.
#include <functional>
#include <vector>

namespace programs::lockbench::theory {

// M/G/1, Pollaczek-Khinchine: mean wait in queue
//   Wq = rho S (1 + Cs^2) / (2 (1 - rho)),  rho = lambda S < 1.
// M/M/1: Cs^2 = 1; M/D/1: Cs^2 = 0.
double mg1_wait(double rho, double mean_service, double cs2);

// The closed machine-repairman model M/M/1//N: N sources, exponential think
// Z, one exponential server of mean S.
//   p_k = p_0 N! / (N - k)! (S / Z)^k,  U = 1 - p_0,  X = U / S,
//   R = N / X - Z (time at the server: waiting + service), Q = X R.
struct Closed {
  double utilization = 0, throughput = 0, response = 0, queue = 0;
};
Closed machine_repairman(int n, double think, double service);
// Exact mean value analysis of the same network (exponential service):
//   Q(0) = 0; R(k) = S (1 + Q(k-1)); X(k) = k / (Z + R(k)); Q(k) = X(k) R(k).
Closed mva(int n, double think, double service);

// A birth-death chain for one lock and n cores (Boyd-Wickizer, Kaashoek,
// Morris, Zeldovich, "Non-scalable locks are dangerous", Linux Symposium
// 2012, section 3): state k = cores holding or waiting; arrivals in state k
// at rate (n - k) / a; the holder leaves state k after a mean time
// service(k), k = 1..n. Balance P_{k-1} (n-k+1)/a = P_k / service(k) gives
//   P_k = P_0 n! / ((n - k)! a^k) prod_{i=1..k} service(i).
// Throughput X = sum_k P_k (n - k) / a = (n - E[k]) / a.
struct Chain {
  double throughput = 0;
  double mean_in_lock = 0;  // E[k]
  std::vector<double> p;    // P_0..P_n
  std::vector<double> logw; // log of the unnormalised P_k (no underflow)
};
Chain lock_chain(int n, double a, const std::function<double(int)>& service);

// Local maxima of the chain's stationary distribution (on the log weights,
// so a mode too improbable for a double still counts): 2 when the lock has an
// idle-ish and a congested mode a finite run can each stay in for long.
int modes(const Chain& ch);

// The paper's rates: a holder with k-1 waiters behind it hands over after
// s + c (k-1)/2 on average (half of the other waiters' line requests are
// served first), i.e. prod_{i=0..k-1} (s + i c / 2).
Chain bw_ticket(int n, double a, double s, double c);
// The closed form as printed in the paper: prod_{i=1..k} (s + i c), i.e.
// service(k) = s + k c. It does not follow from the rates above; evaluated
// for comparison only.
Chain bw_printed(int n, double a, double s, double c);

}  // namespace programs::lockbench::theory
