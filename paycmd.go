package main

import (
	"fmt"
	"io"

	"cashier/sync/paycli"
)

func payEnv() paycli.Env { return paycli.Env{DataDir: resolveDataDir} }

func runPay(args []string, stdout, stderr io.Writer) int {
	return paycli.Pay(args, stdout, stderr, payEnv())
}

func runRefund(args []string, stdout, stderr io.Writer) int {
	return paycli.Refund(args, stdout, stderr, payEnv())
}

func runPayments(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "recover" {
		fmt.Fprintln(stderr, "用法 / usage: pos payments recover [--data-dir DIR] [--gateway URL]")
		return 2
	}
	return paycli.Recover(args[1:], stdout, stderr, payEnv())
}
