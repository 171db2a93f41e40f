library(survey)
h <- read.csv(file.path(Sys.getenv("SHARED", "../../../../shared"), "fixtures/real/ceat_wash_abidjan_nairobi/data/household_data.csv"), na.strings = "")  # run from tests/data/r
h$w <- c(Azito=40, Mabatini=25, Vietnam=30, Williamsville=35)[h$Site]
it <- function(x, fav, unf) ifelse(!is.na(x) & x == fav, 1, ifelse(!is.na(x) & x == unf, 0, NA))
r <- cbind(it(h$ObsHandWashSOAP, "SoapOrDeterg", "AshOrMudOrSand"),
           it(h$ObsHandWashWATER, "Water_OK", "Water_NOT_OK"),
           it(h$ToiletFacilitySHARE, "N", "Y"),
           it(h$DrinkingWaterAvailability, "Y", "N"))
wt <- c(2, 1, 3, 1.5)
valid <- !is.na(r)
r0 <- r; r0[is.na(r0)] <- 0
h$score <- 100 * (r0 %*% wt) / (valid %*% wt)
h$wcount <- as.vector(r0 %*% wt)
h$ok <- rowSums(valid) >= 2
d <- svydesign(ids=~1, strata=~Site, weights=~w, data=h)
s <- subset(d, ok)
options(digits=15)
print(svymean(~score, s)); print(svymean(~wcount, s))
print(svyby(~score, ~Sex_HH, s, svymean))
print(degf(s))
print(sprintf("%.12g", c(coef(svymean(~score, s)), SE(svymean(~score, s)), coef(svymean(~wcount, s)), SE(svymean(~wcount, s)))))
print(sum(h$ok))
