module github.com/idemgen/idemgen/golden

go 1.26.0
