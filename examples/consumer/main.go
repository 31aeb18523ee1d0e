// Command consumer is docs/consumers.md's example of a function that uses a
// stage's database: it finds the database through the stage's two SSM
// parameters and queries it through the Data API. Its role needs the
// stage's access policy (output access_policy_arn, or consumerRoleNames).
// make test compiles it; it is not part of the app.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}

	// <service>-<stage>-resource-arn and <service>-<stage>-credentials-arn.
	parameters, err := ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{
		Names: []string{"movies-dev-resource-arn", "movies-dev-credentials-arn"},
	})
	if err != nil || len(parameters.Parameters) != 2 {
		log.Fatalf("reading the stage's parameters: %v (invalid: %v)", err, parameters.InvalidParameters)
	}
	arns := map[string]string{}
	for _, p := range parameters.Parameters {
		arns[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}

	out, err := rdsdata.NewFromConfig(cfg).ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
		ResourceArn:           aws.String(arns["movies-dev-resource-arn"]),
		SecretArn:             aws.String(arns["movies-dev-credentials-arn"]),
		Database:              aws.String("main"),
		Sql:                   aws.String("select title from movies where year = :year"),
		Parameters:            []types.SqlParameter{{Name: aws.String("year"), Value: &types.FieldMemberLongValue{Value: 1999}}},
		IncludeResultMetadata: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, record := range out.Records {
		fmt.Println(record[0].(*types.FieldMemberStringValue).Value)
	}
}
