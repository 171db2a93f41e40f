# Reference values for replicates built from a Taylor design with as.svrepdesign: BRR, Fay, bootstrap,
# subbootstrap (R 4.2.2, survey 4.1-1). Run from this directory: Rscript built.R
# Writes pairs.csv (a synthetic design with 2 PSUs in each of 25 strata, rows shuffled), R's bootstrap
# and subbootstrap replicate analysis weights (boot_pairs.csv, subboot_pairs.csv), and the
# fingerprints of hadamard(n) for n = 1..300 (hadamard.csv); prints every value pinned in
# tests/estimation/test_replicates_brr.py.
suppressMessages(library(survey))
options(digits = 15)
show <- function(label, x) {
  cat(label, "\n")
  print(data.frame(est = coef(x), se = SE(x)), digits = 15)
}
set.seed(11)
H <- 25
psu <- data.frame(stratum = rep(sprintf("s%02d", 1:H), each = 2), psu = sample(1000:9999, 2 * H))
psu$size <- sample(3:6, 2 * H, replace = TRUE)
rows <- psu[rep(seq_len(nrow(psu)), psu$size), c("stratum", "psu")]
n <- nrow(rows)
rows$w <- round(runif(n, 5, 40), 2)
rows$x <- round(rexp(n, 1 / 20) + 1, 2)
rows$y <- round(3 + 0.5 * rows$x + rnorm(n, 0, 4) + as.integer(substr(rows$stratum, 2, 3)) / 5, 2)
rows$grp <- sample(c("a", "b"), n, replace = TRUE, prob = c(0.6, 0.4))
rows$k <- sample(c("low", "mid", "high"), n, replace = TRUE)
rows$bin <- rbinom(n, 1, plogis(-1 + 0.04 * rows$x))
rows$N <- 200  # PSUs in each stratum's population (for the fpc warning)
rows <- rows[sample(n), ]
rows$id <- seq_len(n)
write.csv(rows, "pairs.csv", row.names = FALSE)

d <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = rows)
for (h in c(25, 9, 5)) {
  sub <- rows[as.integer(substr(rows$stratum, 2, 3)) <= h, ]
  dh <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = sub)
  b <- as.svrepdesign(dh, type = "BRR")
  cat("strata", h, "BRR replicates", ncol(b$repweights$weights), "scale", b$scale, "\n")
  show(paste("H", h, "BRR svymean(~y)"), svymean(~y, b))
  show(paste("H", h, "BRR svyratio(~y, ~x)"), svyratio(~y, ~x, b))
  show(paste("H", h, "BRR svyby(~y, ~grp, svymean)"), svyby(~y, ~grp, b, svymean))
  show(paste("H", h, "BRR svytotal(~x)"), svytotal(~x, b))
  cat("H", h, "BRR degf", degf(b), "\n")
  f <- as.svrepdesign(dh, type = "Fay", fay.rho = 0.3)
  cat("H", h, "Fay scale", f$scale, "\n")
  show(paste("H", h, "Fay 0.3 svymean(~y)"), svymean(~y, f))
  show(paste("H", h, "Fay 0.3 svyratio(~y, ~x)"), svyratio(~y, ~x, f))
  show(paste("H", h, "Fay 0.3 svyby(~y, ~grp, svymean)"), svyby(~y, ~grp, f, svymean))
}
b <- as.svrepdesign(d, type = "BRR")
A <- weights(b, "analysis")
cat("BRR analysis weights, first row of the data:", A[1, 1:8], "\n")
cat("BRR analysis weights, column sums 1..4:", format(colSums(A)[1:4], digits = 15), "\n")
bh <- as.svrepdesign(d, type = "BRR", hadamard.matrix = hadamard(25))  # its first value counts as 0
show("BRR hadamard.matrix=hadamard(25) svyratio(~y, ~x)", svyratio(~y, ~x, bh))
bm <- as.svrepdesign(d, type = "BRR", mse = TRUE)
show("BRR mse=TRUE svyratio(~y, ~x)", svyratio(~y, ~x, bm))

set.seed(20261202)
boot <- as.svrepdesign(d, type = "bootstrap", replicates = 30)
B <- weights(boot, "analysis"); colnames(B) <- paste0("b", 1:ncol(B))
write.csv(data.frame(id = rows$id, B), "boot_pairs.csv", row.names = FALSE)
cat("bootstrap scale", format(boot$scale, digits = 15), "\n")
show("bootstrap svymean(~y)", svymean(~y, boot))
show("bootstrap svyratio(~y, ~x)", svyratio(~y, ~x, boot))
show("bootstrap svyby(~y, ~grp, svymean)", svyby(~y, ~grp, boot, svymean))
set.seed(20261203)
sb <- as.svrepdesign(d, type = "subbootstrap", replicates = 30)
S <- weights(sb, "analysis"); colnames(S) <- paste0("s", 1:ncol(S))
write.csv(data.frame(id = rows$id, S), "subboot_pairs.csv", row.names = FALSE)
cat("subbootstrap scale", format(sb$scale, digits = 15), "\n")
show("subbootstrap svymean(~y)", svymean(~y, sb))
show("subbootstrap svytotal(~x)", svytotal(~x, sb))
show("subbootstrap svyby(~y, ~grp, svymean)", svyby(~y, ~grp, sb, svymean))

# hadamard(n): order and a weighted sum of the 0/1 entries (weights (31 i + 17 j) mod 101, 1-based)
fp <- t(sapply(1:300, function(n) {
  m <- hadamard(n)
  c(n, nrow(m), sum(m * outer(seq_len(nrow(m)), seq_len(ncol(m)), function(i, j) (31 * i + 17 * j) %% 101)))
}))
colnames(fp) <- c("n", "order", "checksum")
write.csv(fp, "hadamard.csv", row.names = FALSE)
