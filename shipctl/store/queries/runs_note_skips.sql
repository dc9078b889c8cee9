UPDATE runs SET skipped = skipped + $2, already_purchased = already_purchased + $3 WHERE id = $1
