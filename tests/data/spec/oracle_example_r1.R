# Reference values for tests/spec/test_spec_example_project.py (R 4.2.2, survey 4.1-1, 2026-11-21).
# Input: examples/demo/round1_kobo.xlsx loaded with survey_toolkit.load, design weight from
# examples/demo/sample_frame.csv (households / (psu_sampled * households_per_psu) * hh_adults),
# written to CSV (stratum, cluster_id, w and the questions used, codes as text); run: Rscript oracle_example_r1.R r1.csv.
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
num <- function(x) suppressWarnings(as.numeric(x))
d$b1 <- num(d$b1_safe_dark); d$cons <- num(d$consent) == 1 & !is.na(num(d$consent))
d$safe <- as.numeric(d$b1 %in% c(1, 2))
items <- sapply(c("d1_trust_police","d2_police_respect","d3_police_fair","d4_police_respond","d5_police_account"),
                function(v) { x <- num(d[[v]]); ifelse(!is.na(x) & x >= 1 & x <= 4, (x - 1) / 3, NA) })
m <- rowSums(!is.na(items)); d$pli <- ifelse(m >= 3, 10 * rowMeans(items, na.rm = TRUE), NA)
h1 <- num(d$h1_say); h2 <- num(d$h2_influence)
d$d1 <- as.numeric(d$cons & !is.na(h1) & h1 %in% 1:5); d$y1 <- d$d1 * (h1 %in% 3:5)
d$d2 <- as.numeric(d$cons & !is.na(h2) & h2 %in% 1:5); d$y2 <- d$d2 * (h2 %in% 3:5)
des <- svydesign(ids = ~cluster_id, strata = ~stratum, weights = ~w, data = d)
p <- function(lbl, x) cat(sprintf("%s %.12f %.12f\n", lbl, coef(x)[1], SE(x)[1]))
p("official", svymean(~safe, subset(des, cons & !is.na(b1))))
p("valid", svymean(~safe, subset(des, cons & !is.na(b1) & !(b1 %in% c(98, 99)))))
p("pli", svymean(~pli, subset(des, cons & !is.na(pli))))
r <- svyratio(~y1 + y2, ~d1 + d2, des, covmat = TRUE)
V <- vcov(r); cf <- coef(r)
idx <- c(which(names(cf) == "y1/d1"), which(names(cf) == "y2/d2"))
est <- mean(cf[idx]); se <- sqrt(sum(V[idx, idx]) / 4)
cat(sprintf("sdg_16_7_2 %.12f %.12f\n", est, se))
cat(R.version.string, "survey", as.character(packageVersion("survey")), "\n")
