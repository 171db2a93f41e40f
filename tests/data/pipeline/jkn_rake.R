# Reference values for tests/test_pipeline_replicates.py: the reduced demo project (round R1) with
# design.replicates {type: JKn} and raking (R 4.2.2, survey 4.1-1). Run from this directory:
#   Rscript jkn_rake.R
# demo_r1_base_weights.csv is round R1 of examples/demo as the pipeline has it before raking: the 578
# interviews kept, the stratum built from admin2-area_type, the sample-frame PSU count (fpc) and the base
# weight; margins are examples/demo/census_margins.csv.
suppressMessages(library(survey))
options(digits = 15, survey.lonely.psu = "adjust")
d <- read.csv("demo_r1_base_weights.csv", colClasses = c(a1_sex = "character", age_group = "character"))
# indicators.yaml: sdg_16_1_4_valid = b1_safe_dark in [1, 2] among valid answers (98/99 = don't know /
# refused left out); trust_police = d1_trust_police in [3, 4] among valid answers (98/99 left out, and the
# off-list answer 5 counted as missing, project default off_list: missing)
d$safe <- ifelse(d$b1_safe_dark %in% c(98, 99), NA, as.numeric(d$b1_safe_dark %in% c(1, 2)))
d$trust <- ifelse(d$d1_trust_police %in% c(5, 98, 99), NA, as.numeric(d$d1_trust_police %in% c(3, 4)))
m <- read.csv("../../../examples/demo/census_margins.csv", colClasses = "character")
pop <- function(v) data.frame(setNames(list(m$category[m$variable == v]), v),
                              Freq = as.numeric(m$population[m$variable == v]))
taylor <- svydesign(id = ~cluster_id, strata = ~stratum, fpc = ~psu_total, weights = ~base_weight, data = d)
jk <- as.svrepdesign(taylor, type = "JKn")
rk <- rake(jk, list(~admin1, ~a1_sex, ~age_group), list(pop("admin1"), pop("a1_sex"), pop("age_group")),
           control = list(maxit = 100, epsilon = 1e-10))
cat("replicates", ncol(jk$repweights$weights), "degf", degf(rk), "\n")
for (v in c("safe", "trust")) {
  f <- as.formula(paste0("~", v))
  sub <- subset(rk, !is.na(d[[v]]))
  mn <- svymean(f, sub)
  ci <- svyciprop(f, sub, method = "xlogit", df = degf(sub))
  cat(v, "n", sum(!is.na(d[[v]])), "df", degf(sub), "\n")
  print(c(est = unname(coef(mn)), se = unname(SE(mn)), ci_low = unname(attr(ci, "ci")[1]),
          ci_high = unname(attr(ci, "ci")[2])), digits = 15)
}
# by admin1 (the report's first location level): estimate, SE, domain df, xlogit interval
for (v in c("safe", "trust")) for (a in c("R01", "R02")) {
  dom <- subset(rk, !is.na(d[[v]]) & d$admin1 == a)
  mn <- svymean(as.formula(paste0("~", v)), dom)
  ci <- svyciprop(as.formula(paste0("~", v)), dom, method = "xlogit", df = degf(dom))
  cat(v, a, "df", degf(dom), "\n")
  print(c(est = unname(coef(mn)), se = unname(SE(mn)), ci_low = unname(attr(ci, "ci")[1]),
          ci_high = unname(attr(ci, "ci")[2])), digits = 15)
}
