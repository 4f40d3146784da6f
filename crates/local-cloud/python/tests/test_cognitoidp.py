"""Tests of local_moto.cognitoidp: a user pool and its app client from CloudFormation, whose users sign in and get
tokens for the client, and which go with their stack."""

from conftest import unique


def test_a_user_pool_and_client_live_and_die_with_their_stack(aws, stack):
    name = unique("pool")
    template = {"Resources": {
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {
            "UserPoolName": name, "Policies": {"PasswordPolicy": {"MinimumLength": 12}}}},
        "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "UserPoolId": {"Ref": "Pool"}, "ClientName": "web", "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}}},
        "Outputs": {"Url": {"Value": {"Fn::GetAtt": ["Pool", "ProviderURL"]}},
                    "Arn": {"Value": {"Fn::GetAtt": ["Pool", "Arn"]}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    pool, client = created["resources"]["Pool"], created["resources"]["Client"]
    idp = aws("cognito-idp")
    assert idp.describe_user_pool(UserPoolId=pool)["UserPool"]["Name"] == name
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs["Url"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert outputs["Arn"].endswith(f":userpool/{pool}")
    described = idp.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]
    assert described["ClientName"] == "web" and "ClientSecret" not in described

    idp.admin_create_user(UserPoolId=pool, Username="ada", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password="Secret-pass-1", Permanent=True)
    auth = idp.admin_initiate_auth(UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ada", "PASSWORD": "Secret-pass-1"})
    assert auth["AuthenticationResult"]["IdToken"].count(".") == 2

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert pool not in [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]
