module libgmp/bench/echo

go 1.19
