# Independent reference for survey_toolkit.sae.fay_herriot (tests/test_sae.py).
# R 4.2.2, survey 4.1-1. Run from this folder:  Rscript fh_reference.R
# Area-level data: the public California schools sample `apisrs` (R survey's data(api)): direct
# estimates of the mean API 2000 score (api00) by county (cname) with their design-based standard
# errors (SRS with fpc), for counties with at least 3 sampled schools; covariate: the county's
# sampled mean share of students on free meals (meals).
# The REML estimate of A is found by maximising the restricted log-likelihood with optimize() and
# polished as the root of its score equation with uniroot() (no Fisher scoring), then the EBLUP and the Prasad-Rao/Datta-Lahiri MSE by the textbook formulas.
suppressMessages(library(survey))
data(api)
des <- svydesign(id = ~1, fpc = ~fpc, data = apisrs)
n <- table(apisrs$cname)
keep <- names(n)[n >= 3]
d <- subset(des, cname %in% keep)
y <- svyby(~api00, ~cname, d, svymean)
x <- svyby(~meals, ~cname, d, svymean)
area <- data.frame(county = as.character(y$cname), direct = coef(y), direct_se = SE(y),
                   meals = coef(x), n = as.integer(n[as.character(y$cname)]))
write.csv(area, "api_counties.csv", row.names = FALSE)

Y <- area$direct; D <- area$direct_se^2; X <- cbind(1, area$meals); m <- length(Y); p <- ncol(X)
reml <- function(A) {
  V <- diag(A + D); Vi <- solve(V)
  XVX <- t(X) %*% Vi %*% X
  P <- Vi - Vi %*% X %*% solve(XVX) %*% t(X) %*% Vi
  -0.5 * (determinant(V)$modulus + determinant(XVX)$modulus + t(Y) %*% P %*% Y)
}
A0 <- optimize(function(a) -reml(a), c(0, 50 * max(D)), tol = 1e-10)$minimum
# polish: the root of the REML score equation d l_R / dA = -tr(P)/2 + y'PPy/2 near the maximum
score <- function(A) {
  Vi <- diag(1 / (A + D)); P <- Vi - Vi %*% X %*% solve(t(X) %*% Vi %*% X) %*% t(X) %*% Vi
  as.numeric(-0.5 * sum(diag(P)) + 0.5 * t(Y) %*% P %*% P %*% Y)
}
A <- uniroot(score, c(0.5 * A0, 1.5 * A0), tol = 1e-14)$root
Vi <- diag(1 / (A + D)); Q <- solve(t(X) %*% Vi %*% X); beta <- Q %*% t(X) %*% Vi %*% Y
gamma <- A / (A + D); syn <- as.vector(X %*% beta)
eblup <- gamma * Y + (1 - gamma) * syn
g1 <- gamma * D
g2 <- (1 - gamma)^2 * rowSums((X %*% Q) * X)
varA <- 2 / sum(1 / (A + D)^2)
g3 <- D^2 / (A + D)^3 * varA
mse <- g1 + g2 + 2 * g3
out <- data.frame(county = area$county, eblup = eblup, mse = mse, gamma = gamma)
options(digits = 15)
cat(sprintf("A %.12f\nbeta0 %.12f\nbeta1 %.12f\n", A, beta[1], beta[2]))
write.csv(out, "fh_reference_out.csv", row.names = FALSE)
