#pragma once
// An append-only array whose elements never move: storage comes in chunks
// of N elements, so many small objects (a slab's kiocbs, a device's requests,
// a ring's slots) cost neither a heap allocation and header each nor a
// doubling spike when the array grows. Elements need not be movable.
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace sim {

template <class T, std::size_t N = 64>
class StableArray {
 public:
  StableArray() = default;
  StableArray(const StableArray&) = delete;
  StableArray& operator=(const StableArray&) = delete;
  ~StableArray() {
    for (std::size_t i = size_; i-- > 0;) (*this)[i].~T();
  }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ % N == 0) chunks_.push_back(std::unique_ptr<Chunk>(new Chunk));  // uninitialised storage
    T* p = ::new (chunks_.back()->slot(size_ % N)) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }

  T& operator[](std::size_t i) { return *std::launder(reinterpret_cast<T*>(chunks_[i / N]->slot(i % N))); }
  const T& operator[](std::size_t i) const {
    return *std::launder(reinterpret_cast<const T*>(chunks_[i / N]->slot(i % N)));
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < size_; ++i) fn((*this)[i]);
  }

 private:
  struct Chunk {
    alignas(T) std::byte bytes[N * sizeof(T)];
    void* slot(std::size_t i) { return bytes + i * sizeof(T); }
    const void* slot(std::size_t i) const { return bytes + i * sizeof(T); }
  };
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace sim
